/**
 * Residual networks of the source papers.
 * - CIFAR ResNet v1 (He et al. 2016 §4.2; LayerAct's ResNet_small.py): stem conv (bias) → BN → act; basic
 *   blocks conv → BN → act → conv → BN → (+ option-A shortcut) → act; BN directly before every activation.
 * - Pre-activation ResNet v2 (He et al. 2016b; PANGAEA): BN → act → conv blocks, projection shortcuts,
 *   bottleneck blocks for depth 164.
 * - Wide ResNet WRN-d-k (Zagoruyko & Komodakis 2016; PANGAEA): pre-activation basic blocks of width 16k/32k/64k,
 *   optional dropout between the convolutions.
 * - ImageNet ResNet-18/34/50/101/152 as torchvision builds them (torchvision.models.resnet; He et al. 2016 §3.4):
 *   7×7/2 stem conv → BN → act → 3×3/2 max-pool (padding 1), four stages of 64/128/256/512 planes, basic
 *   blocks (18, 34) or bottlenecks 1×1 → 3×3 → 1×1 with expansion 4 and the stride on the 3×3 (ResNet v1.5,
 *   as torchvision), projection shortcuts (1×1/s conv → BN) where the shape changes, global average pool, fc.
 *   Padding is torch's (symmetric), so every tensor has torchvision's shape and alignment; every ReLU of
 *   torchvision's network is the activation under study.
 */
import * as tf from '@tensorflow/tfjs';
import { act, add, bn, conv, dropout as dropoutLayer, head, scaled, ShortcutA, TorchMaxPool, type BlockCtx } from './layers.js';

export function resnetV1(ctx: BlockCtx, x: tf.SymbolicTensor, depth: number, numClasses: number): tf.SymbolicTensor {
  if ((depth - 2) % 6 !== 0) throw new Error(`CIFAR ResNet depth must be 6n+2, got ${depth}`);
  const n = (depth - 2) / 6;
  const widths = [16, 32, 64].map((w) => scaled(ctx, w));
  let h = act(ctx, bn(ctx, conv(ctx, x, widths[0], 3, 1, true)));
  let channels = widths[0];
  widths.forEach((w, stage) => {
    for (let b = 0; b < n; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      let y = act(ctx, bn(ctx, conv(ctx, h, w, 3, stride)));
      y = bn(ctx, conv(ctx, y, w, 3));
      const shortcut = stride !== 1 || channels !== w
        ? (new ShortcutA({ stride, outChannels: w, name: ctx.names.next('shortcut') }).apply(h) as tf.SymbolicTensor)
        : h;
      h = act(ctx, add(ctx, y, shortcut));
      channels = w;
    }
  });
  return head(ctx, h, numClasses);
}

function preactBasic(ctx: BlockCtx, x: tf.SymbolicTensor, inC: number, outC: number, stride: number, dropout: number): tf.SymbolicTensor {
  const pre = act(ctx, bn(ctx, x));
  let y = conv(ctx, pre, outC, 3, stride);
  y = act(ctx, bn(ctx, y));
  if (dropout > 0) y = dropoutLayer(ctx, y, dropout);
  y = conv(ctx, y, outC, 3);
  const shortcut = stride !== 1 || inC !== outC ? conv(ctx, pre, outC, 1, stride) : x;
  return add(ctx, y, shortcut);
}

function preactBottleneck(ctx: BlockCtx, x: tf.SymbolicTensor, inC: number, outC: number, stride: number): tf.SymbolicTensor {
  const mid = outC / 4;
  const pre = act(ctx, bn(ctx, x));
  let y = conv(ctx, pre, mid, 1);
  y = conv(ctx, act(ctx, bn(ctx, y)), mid, 3, stride);
  y = conv(ctx, act(ctx, bn(ctx, y)), outC, 1);
  const shortcut = stride !== 1 || inC !== outC ? conv(ctx, pre, outC, 1, stride) : x;
  return add(ctx, y, shortcut);
}

export function preactResnet(ctx: BlockCtx, x: tf.SymbolicTensor, depth: number, numClasses: number): tf.SymbolicTensor {
  const bottleneck = depth >= 164;
  const per = bottleneck ? 9 : 6;
  if ((depth - 2) % per !== 0) throw new Error(`pre-activation ResNet depth must be ${per}n+2, got ${depth}`);
  const n = (depth - 2) / per;
  const base = [16, 32, 64].map((w) => scaled(ctx, w));
  const widths = bottleneck ? base.map((w) => w * 4) : base;
  let h = conv(ctx, x, base[0], 3);
  let channels = base[0];
  widths.forEach((w, stage) => {
    for (let b = 0; b < n; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      h = bottleneck ? preactBottleneck(ctx, h, channels, w, stride) : preactBasic(ctx, h, channels, w, stride, 0);
      channels = w;
    }
  });
  return head(ctx, act(ctx, bn(ctx, h)), numClasses);
}

export function wideResnet(ctx: BlockCtx, x: tf.SymbolicTensor, depth: number, k: number, numClasses: number, dropout = 0): tf.SymbolicTensor {
  if ((depth - 4) % 6 !== 0) throw new Error(`WRN depth must be 6n+4, got ${depth}`);
  const n = (depth - 4) / 6;
  const widths = [16 * k, 32 * k, 64 * k];
  let h = conv(ctx, x, 16, 3);
  let channels = 16;
  widths.forEach((w, stage) => {
    for (let b = 0; b < n; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      h = preactBasic(ctx, h, channels, w, stride, dropout);
      channels = w;
    }
  });
  return head(ctx, act(ctx, bn(ctx, h)), numClasses);
}

/** blocks per stage and block kind of torchvision's ImageNet ResNets */
export const IMAGENET_RESNETS: Record<number, { blocks: [number, number, number, number]; bottleneck: boolean }> = {
  18: { blocks: [2, 2, 2, 2], bottleneck: false },
  34: { blocks: [3, 4, 6, 3], bottleneck: false },
  50: { blocks: [3, 4, 6, 3], bottleneck: true },
  101: { blocks: [3, 4, 23, 3], bottleneck: true },
  152: { blocks: [3, 8, 36, 3], bottleneck: true },
};

/** torchvision's projection shortcut: 1×1 conv with the block's stride, then BN */
function projection(ctx: BlockCtx, x: tf.SymbolicTensor, inC: number, outC: number, stride: number): tf.SymbolicTensor {
  return stride !== 1 || inC !== outC ? bn(ctx, conv(ctx, x, outC, 1, stride)) : x;
}

function basicBlock(ctx: BlockCtx, x: tf.SymbolicTensor, inC: number, planes: number, stride: number): tf.SymbolicTensor {
  let y = act(ctx, bn(ctx, conv(ctx, x, planes, 3, stride, false, 'torch')));
  y = bn(ctx, conv(ctx, y, planes, 3));
  return act(ctx, add(ctx, y, projection(ctx, x, inC, planes, stride)));
}

function bottleneckBlock(ctx: BlockCtx, x: tf.SymbolicTensor, inC: number, planes: number, stride: number): tf.SymbolicTensor {
  let y = act(ctx, bn(ctx, conv(ctx, x, planes, 1)));
  y = act(ctx, bn(ctx, conv(ctx, y, planes, 3, stride, false, 'torch')));
  y = bn(ctx, conv(ctx, y, planes * 4, 1));
  return act(ctx, add(ctx, y, projection(ctx, x, inC, planes * 4, stride)));
}

export function imagenetResnet(ctx: BlockCtx, x: tf.SymbolicTensor, depth: number, numClasses: number): tf.SymbolicTensor {
  const spec = IMAGENET_RESNETS[depth];
  if (!spec) throw new Error(`ImageNet ResNet depth must be one of ${Object.keys(IMAGENET_RESNETS).join(', ')}, got ${depth}`);
  const stem = scaled(ctx, 64);
  let h = act(ctx, bn(ctx, conv(ctx, x, stem, 7, 2, false, 'torch')));
  h = new TorchMaxPool({ poolSize: 3, strides: 2, pad: 1, name: ctx.names.next('maxpool') }).apply(h) as tf.SymbolicTensor;
  let channels = stem;
  [64, 128, 256, 512].forEach((base, stage) => {
    const planes = scaled(ctx, base);
    for (let b = 0; b < spec.blocks[stage]; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      h = spec.bottleneck ? bottleneckBlock(ctx, h, channels, planes, stride) : basicBlock(ctx, h, channels, planes, stride);
      channels = spec.bottleneck ? planes * 4 : planes;
    }
  });
  return head(ctx, h, numClasses);
}
