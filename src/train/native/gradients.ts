/**
 * Fused gradients on the native backend. TF.js composes the batch-norm gradient from ~11 full-size ops
 * (Sub, Mul ×6, Tile, Sum ×4) and the gradients of Mean and Sum from a broadcast through `ones` (Fill,
 * Multiply, RealDiv): memory passes that cost more than the convolutions around them. Gradients are
 * registered per kernel for all backends, so the override keeps TF.js's own gradient for every other
 * backend (and for cases the native kernels do not cover) and runs one native kernel on 'native':
 * - FusedBatchNorm: dx, dmean, dvariance, dscale, doffset in one pass over x and dy;
 * - Mean / Sum: dy broadcast (÷ count) straight into x's shape.
 * The maths (and each element's float rounding) is TF.js's; only the sums' order differs.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { alloc, f32, output, size, type KernelImpl } from './util.js';

type GradFunc = tf.GradConfig['gradFunc'];

/** TF.js keeps registered gradients in a global map; the original is needed for the other backends. */
function registeredGradient(kernelName: string): tf.GradConfig | undefined {
  const globals = (globalThis as { _tfGlobals?: Map<string, unknown> })._tfGlobals;
  const registry = globals?.get('gradRegistry') as Map<string, tf.GradConfig> | undefined;
  return registry?.get(kernelName);
}

const bnGradKernel: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, dy, mean, variance, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
  const xv = f32(backend, x), gv = f32(backend, dy), mv = f32(backend, mean), vv = f32(backend, variance);
  const sv = scale ? f32(backend, scale) : null;
  if (!x || !xv || !gv || !mv || !vv || (scale && !sv)) return null;
  const C = mv.length;
  const dx = alloc(xv.length);
  const parts = [0, 1, 2, 3].map(() => new Float32Array(C));
  addon.batchNormGrad(xv, gv, mv, vv, sv, Number(attrs.varianceEpsilon), dx, parts[0], parts[1], parts[2], parts[3]);
  return [output(backend, [...x.shape], dx), ...parts.map((p) => output(backend, [C], p))];
};

const broadcastDivKernel: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const { x } = inputs;
  const xv = f32(backend, x);
  if (!xv) return null;
  const shape = attrs.shape as number[];
  const out = alloc(size(shape));
  addon.binary(3, xv, x.shape, new Float32Array([Number(attrs.divisor)]), [], out, shape);
  return output(backend, [...shape], out);
};

export const GRADIENT_KERNELS: Record<string, KernelImpl> = {
  ActbenchBatchNormGrad: bnGradKernel,
  ActbenchBroadcastDiv: broadcastDivKernel,
};

function onNative(): boolean {
  return tf.getBackend() === 'native';
}

function fusedBatchNormGrad(original: GradFunc): GradFunc {
  return (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved;
    const g = dy as tf.Tensor;
    const C = x.shape[x.shape.length - 1];
    const perChannel = mean.rank === 1 && variance.rank === 1 && mean.size === C && (!scale || (scale.rank === 1 && scale.size === C));
    if (!onNative() || !perChannel || x.dtype !== 'float32' || g.dtype !== 'float32') return original(dy, saved, attrs);
    // one kernel call for all five, made now: the tape runs each returned function in its own tidy,
    // which would free the other outputs of a lazy call; the unused ones go with the gradient scope
    const parts = tf.engine().runKernel('ActbenchBatchNormGrad', { x, dy: g, mean, variance, ...(scale ? { scale } : {}) }, attrs) as tf.Tensor[];
    return { x: () => parts[0], mean: () => parts[1], variance: () => parts[2], scale: () => parts[3], offset: () => parts[4] };
  };
}

function broadcastGrad(original: GradFunc, divide: boolean): GradFunc {
  return (dy, saved, attrs) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    if (!onNative() || x.dtype !== 'float32' || g.dtype !== 'float32') return original(dy, saved, attrs);
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const count = divide ? size(axes.map((a) => x.shape[a])) : 1;
    return { x: () => tf.engine().runKernel('ActbenchBroadcastDiv', { x: tf.reshape(g, expanded) }, { shape: x.shape, divisor: count }) as tf.Tensor };
  };
}

let done = false;

/** Install the overrides once (no-op when TF.js's registry is not where 4.x keeps it). */
export function registerNativeGradients(): void {
  if (done) return;
  done = true;
  const bn = registeredGradient('FusedBatchNorm');
  if (bn) tf.registerGradient({ ...bn, gradFunc: fusedBatchNormGrad(bn.gradFunc) });
  const mean = registeredGradient('Mean');
  if (mean) tf.registerGradient({ ...mean, gradFunc: broadcastGrad(mean.gradFunc, true) });
  const sum = registeredGradient('Sum');
  if (sum) tf.registerGradient({ ...sum, gradFunc: broadcastGrad(sum.gradFunc, false) });
}

export type { NativeAddon };
