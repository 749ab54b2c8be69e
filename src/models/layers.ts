/**
 * Building blocks shared by the zoo, and the one custom structural layer: the "option A" shortcut of the
 * CIFAR ResNets (zero-pad new channels at the end, subsample by the block stride; no parameters).
 */
import * as tf from '@tensorflow/tfjs';
import type { ActivationDef } from '../acts/define.js';
import { activationLayer } from '../acts/tfjs.js';

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

export interface BlockCtx {
  act: ActivationDef;
  names: Namer;
  /** He-normal initialisation seeded per layer, so a model is reproducible under --seed */
  seed: number;
  weightDecay?: number;
}

let seedCounter = 0;
export function initializer(ctx: BlockCtx): ReturnType<typeof tf.initializers.heNormal> {
  return tf.initializers.heNormal({ seed: ctx.seed * 1000 + seedCounter++ });
}
export function resetInitSeeds(): void {
  seedCounter = 0;
}

export function conv(
  ctx: BlockCtx,
  x: tf.SymbolicTensor,
  filters: number,
  kernelSize: number,
  strides = 1,
  useBias = false,
): tf.SymbolicTensor {
  return tf.layers
    .conv2d({ filters, kernelSize, strides, padding: 'same', useBias, kernelInitializer: initializer(ctx), name: ctx.names.next('conv') })
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
  return tf.layers.dense({ units, useBias, kernelInitializer: initializer(ctx), name: ctx.names.next('dense') }).apply(x) as tf.SymbolicTensor;
}

export function add(ctx: BlockCtx, a: tf.SymbolicTensor, b: tf.SymbolicTensor): tf.SymbolicTensor {
  return tf.layers.add({ name: ctx.names.next('add') }).apply([a, b]) as tf.SymbolicTensor;
}

export function head(ctx: BlockCtx, x: tf.SymbolicTensor, numClasses: number): tf.SymbolicTensor {
  const pooled = tf.layers.globalAveragePooling2d({ name: ctx.names.next('gap') }).apply(x) as tf.SymbolicTensor;
  return dense(ctx, pooled, numClasses);
}
