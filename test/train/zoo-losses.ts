/**
 * Reusable harness: the training losses of every zoo model × a set of activations over a few steps of the
 * real training loop (src/train/loop.ts: momentum SGD, weight decay, activation auxiliary losses) on a
 * fixed tiny data set, on a chosen TF.js backend — so two backends can be compared step by step.
 *
 * Sizes keep the pure-JS reference backend affordable (it is ~25–100× slower than native): batch 4 (batch
 * norm over 2 values per channel turns 1-ulp differences into chaos), 8×8×3 inputs (MobileNetV2 16×16:
 * it subsamples ×8), width ×0.25 where the architecture takes one; WRN has no width option (k is its
 * width), so WRNs train on 4×4×3. resnet20, cnn_small and mlp take 20 steps, the others 2 (the second loss
 * already depends on the first update); one model per family runs all five activations, its deeper copies
 * relu and the user expression; wrn_16_8 is left out (ZOO_SKIPPED). See `zooCases`.
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

export const ZOO_BATCH = 4;

export function inputFor(model: string): [number, number, number] {
  if (model.startsWith('wrn')) return [4, 4, 3];
  // MobileNetV2 subsamples ×8: at 8×8 its last batch norms would see one pixel per image
  return model === 'mobilenetv2' ? [16, 16, 3] : [8, 8, 3];
}

export function stepsFor(model: string): number {
  return /^(resnet20|cnn_small|mlp)$/.test(model) ? 20 : 2;
}

/** one model per family takes every activation; deeper copies of a family take relu and the user expression */
const FULL = new Set(['resnet20', 'preact_resnet56', 'mobilenetv2', 'cnn_small', 'mlp']);
/** ≈ 20 s per pure-JS step even at 4×4: its kernels are those of wrn_10_4 and the pre-activation ResNets */
export const ZOO_SKIPPED: Record<string, string> = { wrn_16_8: 'one pure-JS reference step takes ≈ 20 s (batch 4, 4×4 input); wrn_10_4 covers the architecture' };

export function zooCases(models: string[] = modelNames(), acts: readonly string[] = ZOO_ACTS): ZooCase[] {
  return models
    .filter((m) => !(m in ZOO_SKIPPED))
    .flatMap((model) => (FULL.has(model) ? acts : acts.filter((a) => a === 'relu' || a === 'x*sigmoid(a*x)')).map((act) => ({ model, act, steps: stepsFor(model) })));
}

function tinyData(n: number, seed: number, [h, w, c]: [number, number, number]): ImageSet {
  const r = rng(seed);
  const images = new Uint8Array(n * h * w * c);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(r() * 256);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % 10);
  return { name: 'tiny', images, labels, height: h, width: w, channels: c, numClasses: 10 };
}

const RECIPE: Recipe = { ...DEFAULT_RECIPE, epochs: 1, batchSize: ZOO_BATCH, lr: 0.005, schedule: 'constant', augment: 'none', valFraction: 0 };

/** Per-step training losses of one case on `backend` (activated here). */
export async function zooLosses(backend: BackendRequest, c: ZooCase): Promise<number[]> {
  await selectBackend(backend, 'train');
  const width = c.model.startsWith('wrn') ? undefined : 0.25;
  const model = createModel(c.model, { act: resolveActivation(c.act), numClasses: 10, inputShape: inputFor(c.model), width, seed: 3 });
  const data = tinyData(ZOO_BATCH * c.steps, 5, inputFor(c.model));
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
