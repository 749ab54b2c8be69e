/** Shared by the backend tests: a run trained straight through, and the same run killed after epoch 2 then resumed. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../../src/data/dataset.js';
import type { Normalisation } from '../../src/data/split.js';
import { train, type TrainResult } from '../../src/train/loop.js';
import type { Recipe } from '../../src/train/recipe.js';

/** 3 epochs of 3 steps: `part` stops one step into epoch 3, `resumed` continues it from its checkpoint. */
export async function interruptAndResume(make: () => tf.LayersModel, data: ImageSet, norm: Normalisation, recipe: Recipe, dir: string): Promise<{ full: TrainResult; part: TrainResult; resumed: TrainResult }> {
  const full = await train({ model: make(), train: data, val: null, norm, recipe, seed: 7 });
  const ckdir = join(dir, 'resume');
  const part = await train({ model: make(), train: data, val: null, norm, recipe, seed: 7, checkpointDir: ckdir, maxSteps: 2 * 3 + 1 });
  assert.equal(part.state.epoch, 2);
  const resumed = await train({ model: make(), train: data, val: null, norm, recipe, seed: 7, checkpointDir: ckdir, resume: true });
  assert.equal(resumed.state.epoch, 3);
  return { full, part, resumed };
}
