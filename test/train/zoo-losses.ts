/**
 * Reusable harness: the training losses of every zoo model × a set of activations over a few steps of the
 * real training loop (src/train/loop.ts: momentum SGD, weight decay, activation auxiliary losses) on a
 * fixed tiny data set, on a chosen TF.js backend — so two backends can be compared step by step.
 *
 * Sizes keep the pure-JS reference backend affordable: batch 2, 8×8×3 inputs, width ×0.25 where the
 * architecture takes a width (WRN does not: its k sets the width). Deep models take fewer steps (see
 * `stepsFor`).
 */
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../../src/acts/define.js';
import type { ImageSet } from '../../src/data/dataset.js';
import { createModel, modelNames } from '../../src/models/registry.js';
import { selectBackend, type BackendRequest } from '../../src/train/backend.js';
import { train } from '../../src/train/loop.js';
import { DEFAULT_RECIPE, type Recipe } from '../../src/train/recipe.js';
import { rng } from '../helpers.js';

/** ReLU, two LayerAct/VeLU-style activations with state, a PANGAEA function and a user expression */
export const ZOO_ACTS = ['relu', 'la_silu', 'velu', 'pangaea_p5', 'x*sigmoid(a*x)'] as const;

export interface ZooCase {
  model: string;
  act: string;
  steps: number;
}

export const ZOO_INPUT: [number, number, number] = [8, 8, 3];
export const ZOO_BATCH = 2;

/** 20 steps, except the deepest / widest models (cost of the pure-JS reference): 4–8 */
export function stepsFor(model: string): number {
  if (/^(resnet110|preact_resnet(110|164)|wrn_16_8)$/.test(model)) return 4;
  if (/^(resnet56|preact_resnet56|wrn_10_4)$/.test(model)) return 8;
  return 20;
}

export function zooCases(models: string[] = modelNames(), acts: readonly string[] = ZOO_ACTS): ZooCase[] {
  return models.flatMap((model) => acts.map((act) => ({ model, act, steps: stepsFor(model) })));
}

function tinyData(n: number, seed: number): ImageSet {
  const r = rng(seed);
  const [h, w, c] = ZOO_INPUT;
  const images = new Uint8Array(n * h * w * c);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(r() * 256);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % 10);
  return { name: 'tiny', images, labels, height: h, width: w, channels: c, numClasses: 10 };
}

const RECIPE: Recipe = { ...DEFAULT_RECIPE, epochs: 1, batchSize: ZOO_BATCH, lr: 0.02, schedule: 'constant', augment: 'none', valFraction: 0 };

/** Per-step training losses of one case on `backend` (activated here). */
export async function zooLosses(backend: BackendRequest, c: ZooCase): Promise<number[]> {
  await selectBackend(backend, 'train');
  const width = c.model.startsWith('wrn') ? undefined : 0.25;
  const model = createModel(c.model, { act: resolveActivation(c.act), numClasses: 10, inputShape: ZOO_INPUT, width, seed: 3 });
  const data = tinyData(ZOO_BATCH * c.steps, 5);
  const losses: number[] = [];
  const r = await train({
    model, train: data, val: null, norm: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }, recipe: RECIPE, seed: 1, maxSteps: c.steps,
    onStep: (s) => losses.push(s.loss),
  });
  r.model.dispose();
  tf.disposeVariables();
  return losses;
}

/** max over steps of |a − b| / max(1, |a|) */
export function lossDiff(a: number[], b: number[]): number {
  if (a.length !== b.length) return Infinity;
  return Math.max(0, ...a.map((v, i) => (Number.isFinite(v) && Number.isFinite(b[i]) ? Math.abs(v - b[i]) / Math.max(1, Math.abs(v)) : v === b[i] ? 0 : Infinity)));
}
