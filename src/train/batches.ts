/**
 * Mini-batches from a uint8 image set: seeded shuffling per epoch, the CIFAR augmentation of the papers
 * (4-px zero padding + random 32×32 crop + horizontal flip, drawn per image), normalisation to float32
 * NHWC. Every random choice comes from (seed, epoch, batch), so a resumed run sees the same batches.
 */
import type { ImageSet } from '../data/dataset.js';
import { prng, shuffle, type Normalisation } from '../data/split.js';
import { STREAM, streamSeed } from './seeds.js';

/** The order of the training images in an epoch: a seeded shuffle from (run seed, epoch). */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  return shuffle(Array.from({ length: n }, (_, i) => i), prng(streamSeed(STREAM.shuffle, seed, epoch)));
}

export interface Batch {
  x: Float32Array;
  labels: Int32Array;
}

export function makeBatch(
  s: ImageSet,
  idx: ArrayLike<number>,
  norm: Normalisation,
  augment: 'cifar' | 'none',
  rand?: () => number,
): Batch {
  const { height: H, width: W, channels: C } = s;
  const px = H * W * C;
  const x = new Float32Array(idx.length * px);
  const labels = new Int32Array(idx.length);
  const scale = norm.std.map((v) => 1 / (255 * v));
  const shift = norm.mean.map((m, c) => -m / norm.std[c]);
  const zero = shift; // a zero-padded pixel is 0 before normalisation
  for (let k = 0; k < idx.length; k++) {
    const src = idx[k] * px;
    labels[k] = s.labels[idx[k]];
    const dy = augment === 'cifar' && rand ? Math.floor(rand() * 9) - 4 : 0;
    const dx = augment === 'cifar' && rand ? Math.floor(rand() * 9) - 4 : 0;
    const flip = augment === 'cifar' && rand ? rand() < 0.5 : false;
    for (let y = 0; y < H; y++) {
      const sy = y + dy;
      for (let xx = 0; xx < W; xx++) {
        const sx = (flip ? W - 1 - xx : xx) + dx;
        const o = ((k * H + y) * W + xx) * C;
        const inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
        for (let c = 0; c < C; c++) x[o + c] = inside ? s.images[src + (sy * W + sx) * C + c] * scale[c] + shift[c] : zero[c];
      }
    }
  }
  return { x, labels };
}
