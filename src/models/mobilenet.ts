/**
 * MobileNetV3-Small as torchvision builds it (torchvision.models.mobilenetv3, `mobilenet_v3_small`; Howard et
 * al. 2019, Table 2), ImageNet layout: 3×3/2 stem conv → BN → act, eleven inverted-residual blocks, 1×1 conv
 * to 576 → BN → act, global average pool, fc 1024 → act → (dropout) → fc.
 *
 * Block: [1×1 expand → BN → act] → k×k depthwise/s → BN → act → [squeeze-excitation] → 1×1 project → BN
 * (linear), residual when stride 1 and channels unchanged. BN ε = 0.001, momentum 0.01 (torchvision's).
 * Squeeze-excitation as torchvision: global average → fc to make_divisible(C/4, 8) → ReLU → fc to C →
 * hard-sigmoid (relu6(x + 3)/6) → channel scale.
 *
 * What the activation under study replaces: every ReLU and hard-swish of the network's feature path — the
 * stem's hard-swish, the ReLU of blocks 1–3 and the hard-swish of blocks 4–11 (after the expansion and after
 * the depthwise conv), the last conv's hard-swish and the classifier's hard-swish. The squeeze-excitation
 * block keeps its ReLU and its hard-sigmoid gate: they are the gate's own functions (its output must stay
 * in [0, 1]), as in timm's MobileNetV3, whose `act_layer` leaves the SE gate alone. So `relu` gives a
 * MobileNetV3 with ReLU where the paper has hard-swish, and `hard_swish` gives the paper's network except
 * for blocks 1–3, whose ReLU becomes hard-swish too.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../acts/define.js';
import { act, add, bn, conv, dense, depthwise, dropout as dropoutLayer, type BlockCtx } from './layers.js';

/** input, kernel, expanded, output, squeeze-excitation, stride (torchvision's bneck_conf for -Small) */
export const MBV3_SMALL: readonly (readonly [number, number, number, number, boolean, number])[] = [
  [16, 3, 16, 16, true, 2],
  [16, 3, 72, 24, false, 2],
  [24, 3, 88, 24, false, 1],
  [24, 5, 96, 40, true, 2],
  [40, 5, 240, 40, true, 1],
  [40, 5, 240, 40, true, 1],
  [40, 5, 120, 48, true, 1],
  [48, 5, 144, 48, true, 1],
  [48, 5, 288, 96, true, 2],
  [96, 5, 576, 96, true, 1],
  [96, 5, 576, 96, true, 1],
];

/** torchvision's _make_divisible: the nearest multiple of 8, at least 8, never below 90 % of v */
export function makeDivisible(v: number, divisor = 8): number {
  let out = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

const BN = { momentum: 0.99, epsilon: 1e-3 };

let gates: { relu: ReturnType<typeof resolveActivation>; hardSigmoid: ReturnType<typeof resolveActivation> } | undefined;
function seGates() {
  gates ??= { relu: resolveActivation('relu'), hardSigmoid: resolveActivation('hard_sigmoid6') };
  return gates;
}

function squeezeExcite(ctx: BlockCtx, x: tf.SymbolicTensor, channels: number): tf.SymbolicTensor {
  const g = seGates();
  const squeeze = makeDivisible(Math.floor(channels / 4));
  let s = tf.layers.globalAveragePooling2d({ name: ctx.names.next('se_pool') }).apply(x) as tf.SymbolicTensor;
  s = act(ctx, dense(ctx, s, squeeze), g.relu, 'se_relu');
  s = act(ctx, dense(ctx, s, channels), g.hardSigmoid, 'se_gate');
  s = tf.layers.reshape({ targetShape: [1, 1, channels], name: ctx.names.next('se_reshape') }).apply(s) as tf.SymbolicTensor;
  return tf.layers.multiply({ name: ctx.names.next('se_scale') }).apply([x, s]) as tf.SymbolicTensor;
}

export function mobilenetV3Small(ctx: BlockCtx, x: tf.SymbolicTensor, numClasses: number, dropout: number): tf.SymbolicTensor {
  const ch = (c: number) => makeDivisible(c * ctx.width);
  let h = act(ctx, bn(ctx, conv(ctx, x, ch(16), 3, 2, false, 'torch'), BN));
  let channels = ch(16);
  for (const [inC, k, exp, outC, se, stride] of MBV3_SMALL) {
    const [cin, cexp, cout] = [ch(inC), ch(exp), ch(outC)];
    if (cin !== channels) throw new Error(`internal: MobileNetV3 block input ${cin} ≠ ${channels}`);
    let y = h;
    if (cexp !== cin) y = act(ctx, bn(ctx, conv(ctx, y, cexp, 1), BN));
    y = act(ctx, bn(ctx, depthwise(ctx, y, stride, k, 'torch'), BN));
    if (se) y = squeezeExcite(ctx, y, cexp);
    y = bn(ctx, conv(ctx, y, cout, 1), BN);
    h = stride === 1 && cin === cout ? add(ctx, y, h) : y;
    channels = cout;
  }
  h = act(ctx, bn(ctx, conv(ctx, h, 6 * channels, 1), BN));
  h = tf.layers.globalAveragePooling2d({ name: ctx.names.next('gap') }).apply(h) as tf.SymbolicTensor;
  h = act(ctx, dense(ctx, h, ch(1024)));
  if (dropout > 0) h = dropoutLayer(ctx, h, dropout);
  return dense(ctx, h, numClasses);
}
