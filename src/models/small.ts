/**
 * MobileNetV2 (Sandler et al. 2018), CIFAR variant (stride-1 stem and first stages, as common for 32×32),
 * and the small networks for 28×28 data.
 */
import * as tf from '@tensorflow/tfjs';
import { act, add, bn, conv, dense, depthwise, head, scaled, type BlockCtx } from './layers.js';

const MBV2: [number, number, number, number][] = [
  // expansion t, channels c, repeats n, stride s (stride 2 only at 32→16→8→4 for CIFAR)
  [1, 16, 1, 1], [6, 24, 2, 1], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

export function mobilenetV2(ctx: BlockCtx, x: tf.SymbolicTensor, numClasses: number): tf.SymbolicTensor {
  const width = ctx.width;
  const w = (c: number) => Math.max(8, Math.round((c * width) / 8) * 8);
  let h = act(ctx, bn(ctx, conv(ctx, x, w(32), 3)));
  let channels = w(32);
  for (const [t, c, n, s] of MBV2) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const out = w(c);
      let y = h;
      if (t !== 1) y = act(ctx, bn(ctx, conv(ctx, y, channels * t, 1)));
      y = act(ctx, bn(ctx, depthwise(ctx, y, stride)));
      y = bn(ctx, conv(ctx, y, out, 1)); // linear bottleneck: no activation
      h = stride === 1 && channels === out ? add(ctx, h, y) : y;
      channels = out;
    }
  }
  h = act(ctx, bn(ctx, conv(ctx, h, width > 1 ? w(1280) : 1280, 1)));
  return head(ctx, h, numClasses);
}

/** conv32 → conv64 → max-pool → dense128 (BN before every activation), for MNIST-sized inputs. */
export function smallCnn(ctx: BlockCtx, x: tf.SymbolicTensor, numClasses: number): tf.SymbolicTensor {
  const c1 = scaled(ctx, 32);
  const c2 = scaled(ctx, 64);
  let h = act(ctx, bn(ctx, conv(ctx, x, c1, 3)));
  h = act(ctx, bn(ctx, conv(ctx, h, c2, 3, 2)));
  h = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: ctx.names.next('maxpool') }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten({ name: ctx.names.next('flatten') }).apply(h) as tf.SymbolicTensor;
  h = act(ctx, bn(ctx, dense(ctx, h, scaled(ctx, 128), false)));
  return dense(ctx, h, numClasses);
}

export function mlp(ctx: BlockCtx, x: tf.SymbolicTensor, numClasses: number): tf.SymbolicTensor {
  let h = tf.layers.flatten({ name: ctx.names.next('flatten') }).apply(x) as tf.SymbolicTensor;
  for (const units of [256, 128]) h = act(ctx, bn(ctx, dense(ctx, h, scaled(ctx, units), false)));
  return dense(ctx, h, numClasses);
}

/** LayerAct's MNIST analysis network: flatten → dense512 → activation → dense (no normalisation). */
export function mlp512(ctx: BlockCtx, x: tf.SymbolicTensor, numClasses: number): tf.SymbolicTensor {
  const h = tf.layers.flatten({ name: ctx.names.next('flatten') }).apply(x) as tf.SymbolicTensor;
  return dense(ctx, act(ctx, dense(ctx, h, scaled(ctx, 512))), numClasses);
}

export { head };
