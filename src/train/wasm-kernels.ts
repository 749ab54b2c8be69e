/**
 * Training kernels the TF.js wasm backend lacks: Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter
 * and DepthwiseConv2dNativeBackpropInput (the last one missing from tfjs.md's list too), registered per (kernel, backend) like TF.js's own kernels and built
 * only from kernels wasm already has (Transpose, Conv2D, Slice, PadV2, StridedSlice, Multiply, Sum,
 * Concat, Reshape, Reverse, DepthwiseConv2dNative); and a replacement for wasm's MaxPoolGrad, which is wrong
 * (below). Loaded once, before training; each is tested against the pure-JS backend.
 */
import * as tf from '@tensorflow/tfjs';
import { pair } from '../util/pair.js';

type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;
type Backend = { disposeData(id: object): void };
/** the parts of tfjs-backend-wasm's BackendWasm that a kernel writing the heap directly needs */
type HeapBackend = { makeOutput(shape: number[], dtype: 'float32'): Info; typedArrayFromHeap(t: Info): Float32Array };

/** Calls wasm kernels directly and frees the intermediate results. */
class KernelRunner {
  private temps: Info[] = [];
  constructor(private readonly backend: Backend) {}
  run(kernel: string, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
    const k = tf.getKernel(kernel, 'wasm');
    if (!k) throw new Error(`wasm kernel ${kernel} is missing`);
    const out = k.kernelFunc({ inputs: inputs as never, backend: this.backend as never, attrs: attrs as never }) as Info;
    this.temps.push(out);
    return out;
  }
  /** Keep `result`, free everything else made through this runner. */
  finish(result: Info): Info {
    for (const t of this.temps) if (t !== result) this.backend.disposeData(t.dataId);
    this.temps = [];
    return result;
  }
}


function padInfo(xShape: number[], filterShape: number[], strides: number[], dilations: number[], pad: unknown, dimRoundingMode: unknown) {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides as [number, number],
    dilations as [number, number],
    pad as 'same',
    dimRoundingMode as 'round',
  );
  return info;
}

/**
 * dW[a,b,ci,co] = Σ x[n, i·s + a − pt, j·s + b − pl, ci]·dy[n, i, j, co]: one stride-1 Conv2D of
 * transpose(x) → [Ci, H, W, N] with transpose(dy) → [Ho, Wo, N, Co] as filter, dilated by the forward
 * stride, explicit padding; then slice to [Ci, kh, kw, Co] and transpose to HWIO.
 */
function conv2dBackpropFilter({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: Attrs }): Info {
  const { x, dy } = inputs;
  const strides = pair(attrs.strides);
  const filterShape = attrs.filterShape as [number, number, number, number];
  const r = new KernelRunner(backend);
  const info = padInfo(x.shape, filterShape, strides, [1, 1], attrs.pad, attrs.dimRoundingMode);
  const [kh, kw, ci, co] = filterShape;
  const [, H, W] = x.shape;
  const [, Ho, Wo] = dy.shape;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const pb = Math.max(0, kh + (Ho - 1) * strides[0] - H - pt);
  const pr = Math.max(0, kw + (Wo - 1) * strides[1] - W - pl);
  const xT = r.run('Transpose', { x }, { perm: [3, 1, 2, 0] });
  const dyT = r.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  const full = r.run('Conv2D', { x: xT, filter: dyT }, {
    strides: [1, 1], pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dataFormat: 'NHWC', dilations: strides, dimRoundingMode: undefined,
  });
  const cut = r.run('Slice', { x: full }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
  return r.finish(r.run('Transpose', { x: cut }, { perm: [1, 2, 0, 3] }));
}

/**
 * Depthwise: dW[a,b,c,m] = Σ x[n, i·s + a·d − pt, j·s + b·d − pl, c]·dy[n, i, j, c·mult + m], one tap at a
 * time (strided slice of the padded input × dy, summed over n, i, j): the same work as the forward pass.
 */
function depthwiseBackpropFilter({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: Attrs }): Info {
  const { x, dy } = inputs;
  const strides = pair(attrs.strides);
  const dilations = pair(attrs.dilations);
  const filterShape = attrs.filterShape as [number, number, number, number];
  const [kh, kw, ci, mult] = filterShape;
  const r = new KernelRunner(backend);
  const info = padInfo(x.shape, filterShape, strides, dilations, attrs.pad, attrs.dimRoundingMode);
  const [N, H, W] = x.shape;
  const [, Ho, Wo] = dy.shape;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const needH = (Ho - 1) * strides[0] + (kh - 1) * dilations[0] + 1;
  const needW = (Wo - 1) * strides[1] + (kw - 1) * dilations[1] + 1;
  const padded = r.run('PadV2', { x }, {
    paddings: [[0, 0], [pt, Math.max(0, needH - H - pt)], [pl, Math.max(0, needW - W - pl)], [0, 0]], constantValue: 0,
  });
  const dy5 = r.run('Reshape', { x: dy }, { shape: [N, Ho, Wo, ci, mult] });
  const taps: Info[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const y0 = a * dilations[0];
      const x0 = b * dilations[1];
      const sl = r.run('StridedSlice', { x: padded }, {
        begin: [0, y0, x0, 0], end: [N, y0 + (Ho - 1) * strides[0] + 1, x0 + (Wo - 1) * strides[1] + 1, ci], strides: [1, strides[0], strides[1], 1],
        beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
      });
      const sl5 = r.run('Reshape', { x: sl }, { shape: [N, Ho, Wo, ci, 1] });
      const prod = r.run('Multiply', { a: sl5, b: dy5 });
      const s = r.run('Sum', { x: prod }, { axis: [0, 1, 2], keepDims: false });
      taps.push(r.run('Reshape', { x: s }, { shape: [1, ci, mult] }));
    }
  }
  // wasm's Concat kernel takes its inputs as an array, not a name → tensor map
  const stacked = taps.length === 1 ? taps[0] : r.run('Concat', taps as unknown as Record<string, Info>, { axis: 0 });
  return r.finish(r.run('Reshape', { x: stacked }, { shape: [kh, kw, ci, mult] }));
}

/**
 * Depthwise input gradient as a transposed convolution: zero-dilate dy by the stride, pad for a full
 * correlation, run a stride-1 depthwise conv with the spatially reversed filter (one output per c·mult),
 * then sum the mult outputs of each input channel.
 */
function depthwiseBackpropInput({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: Backend; attrs: Attrs }): Info {
  const { dy, filter } = inputs;
  const strides = pair(attrs.strides);
  const dilations = pair(attrs.dilations);
  const inShape = attrs.inputShape as [number, number, number, number];
  const [N, H, W, C] = inShape;
  const [kh, kw, , mult] = filter.shape;
  const [, Ho, Wo] = dy.shape;
  const r = new KernelRunner(backend);
  const info = padInfo(inShape, filter.shape, strides, dilations, attrs.pad, attrs.dimRoundingMode);
  const cm = C * mult;
  let d: Info = dy;
  if (strides[0] > 1 || strides[1] > 1) {
    const six = r.run('Reshape', { x: dy }, { shape: [N, Ho, 1, Wo, 1, cm] });
    const spread = r.run('PadV2', { x: six }, { paddings: [[0, 0], [0, 0], [0, strides[0] - 1], [0, 0], [0, strides[1] - 1], [0, 0]], constantValue: 0 });
    const flat = r.run('Reshape', { x: spread }, { shape: [N, Ho * strides[0], Wo * strides[1], cm] });
    d = r.run('Slice', { x: flat }, { begin: [0, 0, 0, 0], size: [N, (Ho - 1) * strides[0] + 1, (Wo - 1) * strides[1] + 1, cm] });
  }
  const khEff = (kh - 1) * dilations[0] + 1;
  const kwEff = (kw - 1) * dilations[1] + 1;
  const top = khEff - 1 - info.padInfo.top;
  const left = kwEff - 1 - info.padInfo.left;
  const bottom = H + khEff - 1 - d.shape[1] - top;
  const right = W + kwEff - 1 - d.shape[2] - left;
  // negative padding (a crop) cannot happen for 'same'/'valid' with stride ≤ kernel, but guard anyway
  const padded = r.run('PadV2', { x: d }, { paddings: [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]], constantValue: 0 });
  const cropped = top < 0 || bottom < 0 || left < 0 || right < 0
    ? r.run('Slice', { x: padded }, { begin: [0, Math.max(-top, 0), Math.max(-left, 0), 0], size: [N, H + khEff - 1, W + kwEff - 1, cm] })
    : padded;
  const flipped = r.run('Reverse', { x: filter }, { dims: [0, 1] });
  const f2 = r.run('Reshape', { x: flipped }, { shape: [kh, kw, cm, 1] });
  const conv = r.run('DepthwiseConv2dNative', { x: cropped, filter: f2 }, { strides: [1, 1], pad: 'valid', dilations, dataFormat: 'NHWC' });
  const five = r.run('Reshape', { x: conv }, { shape: [N, H, W, C, mult] });
  return r.finish(r.run('Sum', { x: five }, { axis: [4], keepDims: false }));
}

/**
 * MaxPoolGrad. tfjs-backend-wasm 4.22's own kernel seeds each window's running maximum with
 * std::numeric_limits<float>::min() — the smallest positive float, not the lowest — so a window whose values are
 * all ≤ 1.2e-38 (all negative, or all zero) finds no maximum and its gradient is dropped. That zeroes part of the
 * gradient behind every max-pool over smooth activations (cnn_small) and behind ResNet v1's option-A shortcut
 * (a 1×1 max-pool, so every negative or zero pixel). Here: the window's first strict maximum, as the cpu backend
 * and TensorFlow pick it (ties and NaN included), in one pass over wasm's heap.
 */
function maxPoolGrad({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: HeapBackend; attrs: Attrs }): Info {
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'round',
  );
  const dxInfo = backend.makeOutput(input.shape, 'float32');
  // views taken after the last allocation: growing the wasm memory detaches earlier ones
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  const dx = backend.typedArrayFromHeap(dxInfo);
  dx.fill(0);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { top, left } = info.padInfo;
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Ho; i++) {
      const r0 = Math.max(0, i * sh - top);
      const r1 = Math.min(H, i * sh - top + fh);
      for (let j = 0; j < Wo; j++) {
        const c0 = Math.max(0, j * sw - left);
        const c1 = Math.min(W, j * sw - left + fw);
        for (let c = 0; c < C; c++, o++) {
          let best = -Infinity;
          let at = -1;
          for (let r = r0; r < r1; r++) {
            for (let q = c0; q < c1; q++) {
              const k = ((n * H + r) * W + q) * C + c;
              if (x[k] > best) {
                best = x[k];
                at = k;
              }
            }
          }
          if (at >= 0) dx[at] += g[o];
        }
      }
    }
  }
  return dxInfo;
}

let registered = false;

/** Register the missing wasm training kernels (idempotent). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  const have = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  if (!have.has('Conv2DBackpropFilter')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc });
  }
  if (!have.has('DepthwiseConv2dNativeBackpropInput')) {
    tf.registerKernel({ kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: 'wasm', kernelFunc: depthwiseBackpropInput as unknown as tf.KernelFunc });
  }
  if (!have.has('DepthwiseConv2dNativeBackpropFilter')) {
    tf.registerKernel({ kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName: 'wasm', kernelFunc: depthwiseBackpropFilter as unknown as tf.KernelFunc });
  }
  // replaces wasm's own (see maxPoolGrad)
  if (have.has('MaxPoolGrad')) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad as unknown as tf.KernelFunc });
}
