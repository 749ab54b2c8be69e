/** Native reductions, Transpose, Tile, PadV2, Slice, max pooling and its gradient, and the matmuls. */
import * as tf from '@tensorflow/tfjs';
import { applyActivation } from './elementwise.js';
import { alloc, f32, output, OUTPUTS, size, type KernelImpl } from './util.js';

const REDUCE = { Sum: 0, Mean: 1, Max: 2, Min: 3, Prod: 4 } as const;

function reduce(op: number, axisAttr: 'axis' | 'reductionIndices'): KernelImpl {
  return ({ inputs, backend, attrs = {} }, addon) => {
    const x = inputs.x;
    const xv = f32(backend, x);
    if (!xv) return null;
    const rank = x.shape.length;
    const axes = [...new Set(tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape))].sort((a, b) => a - b);
    const keep = attrs.keepDims === true;
    const outShape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const out = alloc(size(outShape));
    const contiguous = axes.length === 0 || axes[axes.length - 1] - axes[0] === axes.length - 1;
    let src = xv;
    let shape = x.shape;
    let lo = axes[0] ?? rank;
    let hi = (axes[axes.length - 1] ?? rank - 1) + 1;
    if (!contiguous) {
      // move the reduced axes to the end, then reduce the tail
      const perm = [...x.shape.keys()].filter((i) => !axes.includes(i)).concat(axes);
      src = alloc(xv.length);
      addon.transpose(xv, src, x.shape, perm);
      shape = perm.map((p) => x.shape[p]);
      lo = rank - axes.length;
      hi = rank;
    }
    const outer = size(shape.slice(0, lo)), red = size(shape.slice(lo, hi)), inner = size(shape.slice(hi));
    addon.reduce(op, src, out, outer, red, inner);
    if (src !== xv) OUTPUTS.give(src);
    return output(backend, outShape, out);
  };
}

const transpose: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const x = inputs.x;
  const xv = f32(backend, x);
  if (!xv) return null;
  const perm = attrs.perm as number[];
  const shape = perm.map((p) => x.shape[p]);
  const out = alloc(xv.length);
  addon.transpose(xv, out, x.shape, perm);
  return output(backend, shape, out);
};

const tile: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const x = inputs.x;
  const xv = f32(backend, x);
  const reps = attrs.reps as number[];
  if (!xv || reps.length !== x.shape.length) return null;
  const shape = x.shape.map((d, i) => d * reps[i]);
  const out = alloc(size(shape));
  addon.tile(xv, out, x.shape, reps);
  return output(backend, shape, out);
};

const padV2: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const x = inputs.x;
  const xv = f32(backend, x);
  const paddings = attrs.paddings as [number, number][];
  if (!xv || paddings.length !== x.shape.length || paddings.some(([a, b]) => a < 0 || b < 0)) return null;
  const shape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const out = alloc(size(shape));
  addon.pad(xv, out, x.shape, paddings.map((p) => p[0]), shape, Number(attrs.constantValue ?? 0));
  return output(backend, shape, out);
};

const slice: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const x = inputs.x;
  const xv = f32(backend, x);
  if (!xv) return null;
  const [begin, sz] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
  const out = alloc(size(sz));
  addon.slice(xv, out, x.shape, begin, sz);
  return output(backend, sz, out);
};

function poolDims(c: tf.backend_util.Conv2DInfo): number[] {
  return [
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left,
  ];
}

function poolInfo(shape: number[], attrs: tf.NamedAttrMap): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number], attrs.filterSize as [number, number], attrs.strides as [number, number], 1,
    attrs.pad as 'same', attrs.dimRoundingMode as 'round',
  );
}

const maxPool: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const x = inputs.x;
  const xv = f32(backend, x);
  if (!xv || x.shape.length !== 4) return null;
  const c = poolInfo(x.shape, attrs);
  const out = alloc(size(c.outShape));
  addon.maxPool(xv, out, poolDims(c));
  return output(backend, c.outShape, out);
};

const maxPoolGrad: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const { dy, input } = inputs;
  const dv = f32(backend, dy), xv = f32(backend, input);
  if (!dv || !xv || input.shape.length !== 4) return null;
  const c = poolInfo(input.shape, attrs);
  const dx = alloc(xv.length);
  addon.maxPoolGrad(xv, dv, dx, poolDims(c));
  return output(backend, [...input.shape], dx);
};

/** [...batch, M, K] × [...batch, K, N]; batch dims equal or one side unbatched */
function matmulCore(backend: tf.KernelBackend, a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean, addon: Parameters<KernelImpl>[1]): { out: Float32Array; shape: number[] } | null {
  const av = f32(backend, a), bv = f32(backend, b);
  if (!av || !bv || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length, rb = b.shape.length;
  const M = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  const Kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  if (K !== Kb) return null;
  const batchA = size(a.shape.slice(0, -2)), batchB = size(b.shape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const outerShape = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  if (size(outerShape) !== batch) return null;
  const out = alloc(batch * M * N);
  addon.matmul(av, bv, out, batch, M, N, K, ta, tb, batchA, batchB);
  return { out, shape: [...outerShape, M, N] };
}

const batchMatMul: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const r = matmulCore(backend, inputs.a, inputs.b, attrs.transposeA === true, attrs.transposeB === true, addon);
  return r ? output(backend, r.shape, r.out) : null;
};

const fusedMatMul: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const act = (attrs.activation as string | undefined) ?? 'linear';
  if (!a || !b || preluActivationWeights || act === 'prelu') return null;
  const bv = bias ? f32(backend, bias) : null;
  if (bias && !bv) return null;
  const r = matmulCore(backend, a, b, attrs.transposeA === true, attrs.transposeB === true, addon);
  if (!r) return null;
  if (bias && bv) {
    const shape = tf.backend_util.assertAndGetBroadcastShape(r.shape, bias.shape);
    if (shape.join() !== r.shape.join()) return null;
    addon.binary(0, r.out, r.shape, bv, bias.shape, r.out, r.shape);
  }
  if (!applyActivation(addon, r.out, act, Number(attrs.leakyreluAlpha ?? 0.2))) return null;
  return output(backend, r.shape, r.out);
};

export const SHAPE_KERNELS: Record<string, KernelImpl> = {
  Sum: reduce(REDUCE.Sum, 'axis'),
  Mean: reduce(REDUCE.Mean, 'axis'),
  Max: reduce(REDUCE.Max, 'reductionIndices'),
  Min: reduce(REDUCE.Min, 'axis'),
  Prod: reduce(REDUCE.Prod, 'axis'),
  Transpose: transpose,
  Tile: tile,
  PadV2: padV2,
  Slice: slice,
  MaxPool: maxPool,
  MaxPoolGrad: maxPoolGrad,
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
};
