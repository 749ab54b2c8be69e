/**
 * Building blocks shared by the zoo, and the one custom structural layer: the "option A" shortcut of the
 * CIFAR ResNets (zero-pad new channels at the end, subsample by the block stride; no parameters).
 */
import * as tf from '@tensorflow/tfjs';
import type { ActivationDef } from '../acts/define.js';
import { activationLayer } from '../acts/tfjs.js';
import { ActbenchError } from '../errors.js';
import { layerSeed } from '../train/seeds.js';

export class ShortcutA extends tf.layers.Layer {
  static readonly className = 'ActbenchShortcutA';
  readonly stride: number;
  readonly outChannels: number;
  constructor(args: { stride: number; outChannels: number; name?: string }) {
    super(args);
    this.stride = args.stride;
    this.outChannels = args.outChannels;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
    const sub = (d: number | null) => (d === null ? null : Math.ceil(d / this.stride));
    return [shape[0], sub(shape[1]), sub(shape[2]), this.outChannels];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const c = x.shape[3];
      const s = this.stride;
      // a 1×1 max-pool with the block stride takes every s-th pixel (LayerAct's reference does exactly this);
      // unlike stridedSlice it has a gradient in TF.js
      const sub = s > 1 ? tf.maxPool(x, 1, s, 'valid') : x;
      return this.outChannels > c ? tf.pad(sub, [[0, 0], [0, 0], [0, 0], [0, this.outChannels - c]]) : sub;
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stride: this.stride, outChannels: this.outChannels };
  }
}
tf.serialization.registerClass(ShortcutA);

/**
 * Max-pooling with torch's symmetric padding (`nn.MaxPool2d(k, s, padding=p)`): the border is padded with
 * −∞, so a padded pixel never wins, whatever the sign of the activations (zero padding would, after an
 * activation with negative outputs). TF.js's 'same' pools pad only at the end; ONNX MaxPool's pads are the
 * same −∞ border, so it exports as one MaxPool.
 */
export class TorchMaxPool extends tf.layers.Layer {
  static readonly className = 'ActbenchMaxPool';
  readonly poolSize: number;
  readonly strides: number;
  readonly pad: number;
  constructor(args: { poolSize: number; strides: number; pad: number; name?: string }) {
    super(args);
    this.poolSize = args.poolSize;
    this.strides = args.strides;
    this.pad = args.pad;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
    const out = (d: number | null) => (d === null ? null : Math.floor((d + 2 * this.pad - this.poolSize) / this.strides) + 1);
    return [shape[0], out(shape[1]), out(shape[2]), shape[3]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const p = this.pad;
      const padded = p > 0 ? tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], -Infinity) : x;
      return tf.maxPool(padded, this.poolSize, this.strides, 'valid');
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, pad: this.pad };
  }
}
tf.serialization.registerClass(TorchMaxPool);

/** Names layers by role and running index so exports and reports can find them. */
export class Namer {
  private counts = new Map<string, number>();
  next(role: string): string {
    const k = this.counts.get(role) ?? 0;
    this.counts.set(role, k + 1);
    return `${role}_${k}`;
  }
}

/**
 * Dropout with a reproducible mask: the mask of a training call is drawn from (layer seed, step), where
 * the training loop sets `step` to the global optimisation step before each step (so a resumed run draws
 * the same masks). TF.js's own Dropout draws from Math.random without a seed, and with a seed draws the
 * same mask on every call. Inference (training: false) is the identity, as ONNX exports it.
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'ActbenchDropout';
  readonly rate: number;
  readonly seed: number;
  /** the global training step of the next call; advanced after each training call */
  step = 0;
  constructor(args: { rate: number; seed: number; name?: string }) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1)) throw new ActbenchError('MODEL_BAD_DROPOUT', `dropout must be in [0, 1), got ${args.rate}`, { field: 'dropout' });
    this.rate = args.rate;
    this.seed = args.seed;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return s;
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (!kwargs?.training || this.rate === 0) return x.clone();
      // a string seed: (layer seed, step) packed without aliasing; TF.js hashes it for its generator
      const u = tf.randomUniform(x.shape, 0, 1, 'float32', `${this.seed}:${this.step++}`);
      const keep = 1 - this.rate;
      return tf.mul(x, tf.div(tf.floor(tf.add(u, keep)), keep));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);

/** Set the step of every seeded dropout layer (the training loop, before each optimisation step). */
export function setDropoutStep(model: tf.LayersModel, step: number): void {
  for (const l of model.layers) if (l instanceof SeededDropout) l.step = step;
}

/** The most elements one weight may have: 2²⁹ float32 values are 2 GiB. */
export const MAX_WEIGHT_ELEMENTS = 2 ** 29;

export interface BlockCtx {
  act: ActivationDef;
  names: Namer;
  /** the run seed: every initialiser and dropout layer gets its own seed derived from it */
  seed: number;
  /** how many seeded layers were made so far (each gets layerSeed(seed, k)) */
  seeded: number;
  /** the --width multiplier, for the message when a layer would get no channel */
  width: number;
  weightDecay?: number;
}

export function nextSeed(ctx: BlockCtx): number {
  return layerSeed(ctx.seed, ctx.seeded++);
}

export function initializer(ctx: BlockCtx): ReturnType<typeof tf.initializers.heNormal> {
  return tf.initializers.heNormal({ seed: nextSeed(ctx) });
}

/** Channels of a layer whose base width is `base`, scaled by --width: at least one, or a coded error. */
export function scaled(ctx: BlockCtx, base: number): number {
  const c = Math.round(base * ctx.width);
  if (c < 1) {
    throw new ActbenchError('MODEL_BAD_WIDTH', `--width ${ctx.width} leaves a layer of ${base} channels with ${c}: this model needs --width ≥ ${0.5 / base}`, { field: 'width', exit: 2 });
  }
  return c;
}

function checkWeight(layer: string, shape: number[]): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > MAX_WEIGHT_ELEMENTS) {
    throw new ActbenchError('MODEL_TOO_LARGE', `layer ${layer} would need a weight of shape [${shape.join(', ')}] (${n.toExponential(2)} values); the limit is ${MAX_WEIGHT_ELEMENTS} (2 GiB of float32): use a smaller --width`, { field: 'width', exit: 2 });
  }
}

export function dropout(ctx: BlockCtx, x: tf.SymbolicTensor, rate: number): tf.SymbolicTensor {
  return new SeededDropout({ rate, seed: nextSeed(ctx), name: ctx.names.next('dropout') }).apply(x) as tf.SymbolicTensor;
}

/**
 * How a convolution pads: 'same' is TF's (the extra pixel at the end when a strided kernel does not fit);
 * 'torch' pads (k − 1)/2 on every side as torchvision's layers do, which for a strided conv on an even
 * input starts the windows one pixel earlier (a ZeroPadding2D before a 'valid' conv; the export folds it
 * into the Conv's pads). The two agree for stride 1 and for 1×1 kernels.
 */
export type ConvPadding = 'same' | 'torch';

function padFor(ctx: BlockCtx, x: tf.SymbolicTensor, kernelSize: number, strides: number, padding: ConvPadding): { x: tf.SymbolicTensor; padding: 'same' | 'valid' } {
  if (padding === 'same' || strides === 1 || kernelSize === 1) return { x, padding: 'same' };
  const p = (kernelSize - 1) / 2;
  return { x: tf.layers.zeroPadding2d({ padding: [[p, p], [p, p]], name: ctx.names.next('pad') }).apply(x) as tf.SymbolicTensor, padding: 'valid' };
}

export function conv(
  ctx: BlockCtx,
  x: tf.SymbolicTensor,
  filters: number,
  kernelSize: number,
  strides = 1,
  useBias = false,
  padding: ConvPadding = 'same',
): tf.SymbolicTensor {
  const name = ctx.names.next('conv');
  checkWeight(name, [kernelSize, kernelSize, x.shape[3] ?? 1, filters]);
  const p = padFor(ctx, x, kernelSize, strides, padding);
  return tf.layers
    .conv2d({ filters, kernelSize, strides, padding: p.padding, useBias, kernelInitializer: initializer(ctx), name })
    .apply(p.x) as tf.SymbolicTensor;
}

export function depthwise(ctx: BlockCtx, x: tf.SymbolicTensor, strides: number, kernelSize = 3, padding: ConvPadding = 'same'): tf.SymbolicTensor {
  const name = ctx.names.next('dwconv');
  const p = padFor(ctx, x, kernelSize, strides, padding);
  return tf.layers
    .depthwiseConv2d({ kernelSize, strides, padding: p.padding, useBias: false, depthwiseInitializer: initializer(ctx), name })
    .apply(p.x) as tf.SymbolicTensor;
}

/** BatchNorm; the defaults are torch's (momentum 0.1 of the new batch, ε = 1e-5), TF.js counts momentum the other way. */
export function bn(ctx: BlockCtx, x: tf.SymbolicTensor, o: { momentum?: number; epsilon?: number } = {}): tf.SymbolicTensor {
  return tf.layers.batchNormalization({ momentum: o.momentum ?? 0.9, epsilon: o.epsilon ?? 1e-5, name: ctx.names.next('bn') }).apply(x) as tf.SymbolicTensor;
}

/** The activation under study (or, for a fixed part of an architecture such as a squeeze-excitation gate, `def`). */
export function act(ctx: BlockCtx, x: tf.SymbolicTensor, def: ActivationDef = ctx.act, role = 'act'): tf.SymbolicTensor {
  return activationLayer(def, { name: ctx.names.next(role) }).apply(x) as tf.SymbolicTensor;
}

export function dense(ctx: BlockCtx, x: tf.SymbolicTensor, units: number, useBias = true): tf.SymbolicTensor {
  const name = ctx.names.next('dense');
  checkWeight(name, [x.shape[x.shape.length - 1] ?? 1, units]);
  return tf.layers.dense({ units, useBias, kernelInitializer: initializer(ctx), name }).apply(x) as tf.SymbolicTensor;
}

export function add(ctx: BlockCtx, a: tf.SymbolicTensor, b: tf.SymbolicTensor): tf.SymbolicTensor {
  return tf.layers.add({ name: ctx.names.next('add') }).apply([a, b]) as tf.SymbolicTensor;
}

export function head(ctx: BlockCtx, x: tf.SymbolicTensor, numClasses: number): tf.SymbolicTensor {
  const pooled = tf.layers.globalAveragePooling2d({ name: ctx.names.next('gap') }).apply(x) as tf.SymbolicTensor;
  return dense(ctx, pooled, numClasses);
}
