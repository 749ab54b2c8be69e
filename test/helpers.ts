/** Shared test data and the two evaluation paths (TF.js, onnxruntime) for activation parity. */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { compileActivation, type ActivationDef } from '../src/acts/define.js';
import type { ParamDef } from '../src/acts/ir.js';
import { evaluateTfjs, paramShape, tfjsIr } from '../src/acts/tfjs.js';
import { activationModel } from '../src/onnx/activation-model.js';
import { createSession, runOnce } from '../src/runtime/session.js';
import { prng } from '../src/data/split.js';
import type { ImageSet } from '../src/data/dataset.js';

let backendReady: Promise<void> | undefined;
/** Tests run TF.js on the deterministic pure-JS backend unless told otherwise. */
export function useCpuBackend(): Promise<void> {
  backendReady ??= (async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  })();
  return backendReady;
}

/** Deterministic PRNG so every test input is reproducible (the same generator the data pipeline uses). */
export const rng = prng;

export interface Batch {
  /** NCHW data */
  data: Float32Array;
  shape: [number, number, number, number];
  label: string;
}

export const GRID_SHAPE: [number, number, number, number] = [2, 8, 19, 16];
export const EXTREMES = [1e4, -1e4, 100, -100, 88, -88, 50, -50, 20, -20, 1e-30, -1e-30, 0, -0, 3.75, -3.75];

/** A dense grid over [lo, hi] (4801 points, exact zero included when in range) plus extremes, as NCHW. */
export function gridBatch(lo = -12, hi = 12, extremes: readonly number[] = EXTREMES): Batch {
  const n = GRID_SHAPE.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const points = 4801;
  for (let k = 0; k < points; k++) data[k] = lo + ((hi - lo) * k) / (points - 1);
  if (lo < 0 && hi > 0) data[Math.round((-lo / (hi - lo)) * (points - 1))] = 0;
  extremes.forEach((v, k) => (data[points + k] = v));
  return { data, shape: GRID_SHAPE, label: `grid[${lo},${hi}]+extremes` };
}

/** Feature maps that look like a conv layer's output: per-channel scale and shift, smooth spatial structure, noise, exact zeros. */
export function featureBatch(seed = 7, shape: [number, number, number, number] = [2, 8, 6, 6]): Batch {
  const [N, C, H, W] = shape;
  const r = rng(seed);
  const data = new Float32Array(N * C * H * W);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const scale = 0.5 + 3 * r();
      const shift = (r() - 0.5) * 4;
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) {
          const v = shift + scale * (Math.sin((h + 1) * (c + 1) * 0.7) * Math.cos(w * 0.9 + n) + 0.3 * (r() - 0.5));
          data[((n * C + c) * H + h) * W + w] = r() < 0.05 ? 0 : v;
        }
    }
  return { data, shape, label: 'feature maps' };
}

/** Parameter values in TF.js (channels-last) layout: random around 1 so a layout mistake shows. */
export function randomParams(def: ActivationDef, featureNhwc: number[], seed = 3): Record<string, Float32Array> {
  const c = compileActivation(def);
  const r = rng(seed);
  const out: Record<string, Float32Array> = {};
  for (const name of c.paramNames) {
    const p: ParamDef = def.params[name];
    const size = paramShape(p, featureNhwc).reduce((a, b) => a * b, 1);
    out[name] = Float32Array.from({ length: size }, () => 0.5 + r());
  }
  return out;
}

export function nchwToNhwc(b: Batch): { data: Float32Array; shape: number[] } {
  const [N, C, H, W] = b.shape;
  const out = new Float32Array(b.data.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) out[((n * H + h) * W + w) * C + c] = b.data[((n * C + c) * H + h) * W + w];
  return { data: out, shape: [N, H, W, C] };
}

/** TF.js forward on NHWC (as training runs it), returned in NCHW order. */
export function tfjsForward(def: ActivationDef, b: Batch, params: Record<string, Float32Array>): Float32Array {
  const c = compileActivation(def);
  const nhwc = nchwToNhwc(b);
  return tf.tidy(() => {
    const p: Record<string, tf.Tensor> = {};
    for (const name of c.paramNames) p[name] = tf.tensor(params[name], paramShape(def.params[name], nhwc.shape.slice(1)));
    const y = evaluateTfjs(tfjsIr(c.ir), tf.tensor(nhwc.data, nhwc.shape), p);
    return y.transpose([0, 3, 1, 2]).dataSync() as Float32Array;
  });
}

/** Gradients of sum(f(x)) with respect to x and every parameter. */
export function tfjsGradients(def: ActivationDef, b: Batch, params: Record<string, Float32Array>): Record<string, Float32Array> {
  const c = compileActivation(def);
  const nhwc = nchwToNhwc(b);
  return tf.tidy(() => {
    const x = tf.tensor(nhwc.data, nhwc.shape);
    const ps = c.paramNames.map((name) => tf.tensor(params[name], paramShape(def.params[name], nhwc.shape.slice(1))));
    const f = (...args: tf.Tensor[]) => {
      const p: Record<string, tf.Tensor> = {};
      c.paramNames.forEach((name, k) => (p[name] = args[k + 1]));
      return evaluateTfjs(tfjsIr(c.ir), args[0], p).sum();
    };
    const grads = tf.grads(f)([x, ...ps]);
    const out: Record<string, Float32Array> = { x: grads[0].dataSync() as Float32Array };
    c.paramNames.forEach((name, k) => (out[name] = grads[k + 1].dataSync() as Float32Array));
    return out;
  });
}

export interface OnnxRunOptions {
  opset?: number;
  cudaSafe?: boolean;
  target?: 'cpu' | 'cuda' | 'any';
  layout?: 'NCHW' | 'NHWC';
}

/** The exported standalone activation model on onnxruntime (CPU), input and output NCHW. */
export async function onnxForward(def: ActivationDef, b: Batch, params: Record<string, Float32Array>, o: OnnxRunOptions = {}): Promise<Float32Array> {
  const layout = o.layout ?? 'NCHW';
  const input = layout === 'NCHW' ? { data: b.data, shape: b.shape as number[] } : nchwToNhwc(b);
  const bytes = activationModel(def, { shape: input.shape, opset: o.opset ?? 17, layout, cudaSafe: o.cudaSafe, target: o.target, paramValues: params });
  const s = await createSession(bytes, { ep: 'cpu' });
  const y = await runOnce(s.session, input.data, input.shape);
  await s.session.release();
  if (layout === 'NCHW') return y;
  const [N, H, W, C] = input.shape;
  const out = new Float32Array(y.length);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let c = 0; c < C; c++) out[((n * C + c) * H + h) * W + w] = y[((n * H + h) * W + w) * C + c];
  return out;
}

/** Largest violation of |a − b| ≤ tol·max(1, |b|); equal infinities and NaN pairs agree. */
export function maxRelDiff(a: Float32Array, b: Float32Array): { diff: number; at: number } {
  let diff = 0;
  let at = -1;
  for (let k = 0; k < a.length; k++) {
    const x = a[k];
    const y = b[k];
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    const d = Math.abs(x - y) / Math.max(1, Math.abs(y));
    const dd = Number.isNaN(d) ? Infinity : d;
    if (dd > diff) {
      diff = dd;
      at = k;
    }
  }
  return { diff, at };
}

/** Run the CLI from source as a user would; returns exit code and output. */
export function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** 4 classes of 12×12 images (grey, or `channels` of them): a bright square in one quadrant plus noise (tiny trainable data for the loop tests). */
export function toyData(n: number, seed: number, channels = 1): ImageSet {
  const r = prng(seed);
  const px = 12 * 12 * channels;
  const images = new Uint8Array(n * px);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels[i] = c;
    for (let y = 0; y < 12; y++)
      for (let x = 0; x < 12; x++)
        for (let ch = 0; ch < channels; ch++) {
          const inQuad = (y < 6) === (c < 2) && (x < 6) === (c % 2 === 0);
          images[i * px + (y * 12 + x) * channels + ch] = Math.min(255, Math.floor((inQuad ? 170 : 40) + r() * 60));
        }
  }
  return { name: 'toy', images, labels, height: 12, width: 12, channels, numClasses: 4 };
}

/**
 * One training step of a model on two random images: the loss, whether every gradient is finite, and the
 * share of weights whose gradient is non-zero (a layer cut off from the loss shows up here).
 */
export function trainingStepStats(model: tf.LayersModel, shape: [number, number, number], numClasses = 10): { loss: number; finite: boolean; nonzero: number } {
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  return tf.tidy(() => {
    const x = tf.randomNormal([2, ...shape], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([1, 7], 'int32'), numClasses).toFloat();
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    const all = Object.values(grads);
    return {
      loss: value.dataSync()[0],
      finite: all.every((g) => (g.dataSync() as Float32Array).every(Number.isFinite)),
      nonzero: all.filter((g) => tf.any(tf.notEqual(g, 0)).dataSync()[0]).length / all.length,
    };
  });
}

/** The CLI in this process (no tsx start-up per call): exit status and what it printed on stdout and stderr. */
export async function runMain(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../src/cli/main.js');
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  process.exitCode = undefined; // node:test sets it to 1 when an earlier test failed; main() returns it
  try {
    const code = await main(['node', 'actbench', ...args]);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
    process.exitCode = undefined;
  }
}
