/**
 * Activation fluctuation (LayerAct, Definitions 2–5): per sample, ‖f(y + ε) − f(y)‖₂ over a layer's
 * elements, with y the layer's actual activation input and ε ~ N(μ, σ²) drawn per element. f is the
 * activation's own compiled definition (src/acts IR → TF.js) evaluated on the whole noisy layer vector, so
 * a LayerAct function's layer mean and variance move with ε exactly as Definition 5 states. The input
 * fluctuation ‖ŷ − y‖₂ of the float32 input actually fed (ŷ = fl(y + ε)) is reported beside it.
 */
import * as tf from '@tensorflow/tfjs';
import { compileActivation, type ActivationDef } from '../acts/define.js';
import { evaluateTfjs, tfjsIr } from '../acts/tfjs.js';
import type { Expr } from '../acts/ir.js';
import { prng } from '../data/split.js';
import { ActbenchError } from '../errors.js';
import { rowDiffNorms } from './stats.js';

export interface NoiseSetting {
  mean: number;
  std: number;
}

/** The paper's two settings: N(0, 0.5²) and N(1, 0.5²). */
export const DEFAULT_NOISE = '0:0.5,1:0.5';

/** "μ:σ,μ:σ" → settings; σ must be > 0 and both finite (ANALYZE_BAD_NOISE names the item). */
export function parseNoise(spec: string): NoiseSetting[] {
  const items = spec.split(',').map((s) => s.trim());
  const out: NoiseSetting[] = [];
  const num = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
  for (const item of items) {
    const m = /^([^:]+):([^:]+)$/.exec(item);
    const bad = (why: string): never => {
      throw new ActbenchError('ANALYZE_BAD_NOISE', `--noise item '${item}' in '${spec}': ${why}; expected mean:std pairs with a finite mean and a finite std > 0, e.g. ${DEFAULT_NOISE}`, { field: 'noise', exit: 2 });
    };
    if (!m) bad('not of the form mean:std');
    const [mean, std] = [m![1].trim(), m![2].trim()].map((v) => (num.test(v) ? Number(v) : NaN));
    if (!Number.isFinite(mean)) bad(`the mean '${m![1]}' is not a finite number`);
    if (!Number.isFinite(std)) bad(`the std '${m![2]}' is not a finite number`);
    if (!(std > 0)) bad(`the std must be > 0, got ${std}`);
    if (out.some((o) => o.mean === mean && o.std === std)) bad('it repeats an earlier setting');
    out.push({ mean, std });
  }
  if (out.length === 0) throw new ActbenchError('ANALYZE_BAD_NOISE', `--noise '${spec}' names no setting`, { field: 'noise', exit: 2 });
  return out;
}

export const noiseLabel = (s: NoiseSetting) => `N(${s.mean}, ${s.std}²)`;

/**
 * ε for one sample: a stream seeded from (seed, layer, setting, sample index), so a value does not depend
 * on the batch size or on which other layers and settings are analysed. Box–Muller on mulberry32.
 */
export function sampleNoise(out: Float32Array, offset: number, d: number, s: NoiseSetting, key: { seed: number; layer: number; setting: number; sample: number }): void {
  const mix = (a: number, b: number) => Math.imul(a ^ (b + 0x9e3779b9 + (a << 6) + (a >>> 2)), 0x85ebca6b) >>> 0;
  const rand = prng(mix(mix(mix(key.seed >>> 0, key.layer), key.setting), key.sample));
  for (let j = 0; j < d; j += 2) {
    const u1 = 1 - rand(); // (0, 1]
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[offset + j] = s.mean + s.std * r * Math.cos(2 * Math.PI * u2);
    if (j + 1 < d) out[offset + j + 1] = s.mean + s.std * r * Math.sin(2 * Math.PI * u2);
  }
}

/** A compiled activation with its trained parameter values, ready to evaluate on [n, ...featureShape] (channels-last). */
export interface ActivationFn {
  def: ActivationDef;
  ir: Expr;
  params: Record<string, { shape: number[]; values: Float32Array }>;
}

export function activationFn(def: ActivationDef, params: ActivationFn['params'] = {}): ActivationFn {
  return { def, ir: tfjsIr(compileActivation(def).ir), params };
}

/** f(x) on a batch [n, ...featureShape] (channels-last), in TF.js. */
export function applyActivation(fn: ActivationFn, x: Float32Array, n: number, featureShape: readonly number[]): Float32Array {
  return tf.tidy(() => {
    const params: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(fn.params)) params[k] = tf.tensor(v.values, v.shape);
    const t = tf.tensor(x, [n, ...featureShape]);
    return evaluateTfjs(fn.ir, t, params).dataSync() as Float32Array;
  });
}

export interface Fluctuation {
  /** ‖ŷ − y‖₂ per sample */
  input: Float64Array;
  /** ‖f(ŷ) − f(y)‖₂ per sample */
  output: Float64Array;
}

/**
 * Activation and input fluctuation of one batch of activation inputs y ([n, d] row-major, channels-last)
 * under one noise setting. `fy` is f(y) (computed once per batch by the caller with the same definition).
 */
export function fluctuation(
  fn: ActivationFn, y: Float32Array, fy: Float32Array, n: number, featureShape: readonly number[], s: NoiseSetting,
  key: { seed: number; layer: number; setting: number; firstSample: number },
): Fluctuation {
  const d = featureShape.reduce((a, b) => a * b, 1);
  const eps = new Float32Array(n * d);
  for (let k = 0; k < n; k++) sampleNoise(eps, k * d, d, s, { seed: key.seed, layer: key.layer, setting: key.setting, sample: key.firstSample + k });
  const yHat = new Float32Array(n * d);
  for (let j = 0; j < yHat.length; j++) yHat[j] = y[j] + eps[j]; // rounded to float32 on store: the input f really sees
  const fyHat = applyActivation(fn, yHat, n, featureShape);
  return { input: rowDiffNorms(yHat, y, n, d), output: rowDiffNorms(fyHat, fy, n, d) };
}
