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

export function conv(
  ctx: BlockCtx,
  x: tf.SymbolicTensor,
  filters: number,
  kernelSize: number,
  strides = 1,
  useBias = false,
): tf.SymbolicTensor {
  const name = ctx.names.next('conv');
  checkWeight(name, [kernelSize, kernelSize, x.shape[3] ?? 1, filters]);
  return tf.layers
    .conv2d({ filters, kernelSize, strides, padding: 'same', useBias, kernelInitializer: initializer(ctx), name })
    .apply(x) as tf.SymbolicTensor;
}

export function depthwise(ctx: BlockCtx, x: tf.SymbolicTensor, strides: number): tf.SymbolicTensor {
  return tf.layers
    .depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', useBias: false, depthwiseInitializer: initializer(ctx), name: ctx.names.next('dwconv') })
    .apply(x) as tf.SymbolicTensor;
}

export function bn(ctx: BlockCtx, x: tf.SymbolicTensor): tf.SymbolicTensor {
  return tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: ctx.names.next('bn') }).apply(x) as tf.SymbolicTensor;
}

export function act(ctx: BlockCtx, x: tf.SymbolicTensor): tf.SymbolicTensor {
  return activationLayer(ctx.act, { name: ctx.names.next('act') }).apply(x) as tf.SymbolicTensor;
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
