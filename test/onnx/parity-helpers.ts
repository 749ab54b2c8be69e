/** Shared by the export parity tests: structured test images and BatchNorm/activation-parameter perturbation. */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../../src/data/dataset.js';
import { rng } from '../helpers.js';

export function images(shape: [number, number, number], n: number, seed: number): ImageSet {
  const r = rng(seed);
  const px = shape[0] * shape[1] * shape[2];
  // smooth images with structure rather than white noise
  const data = new Uint8Array(n * px);
  for (let i = 0; i < n; i++) {
    const a = r() * 6;
    const b = r() * 6;
    for (let k = 0; k < px; k++) data[i * px + k] = Math.floor(127 + 100 * Math.sin(a + (k % shape[1]) * 0.3) * Math.cos(b + k * 0.011) + 20 * (r() - 0.5));
  }
  return { name: 'fixed', images: data, labels: new Int32Array(n), height: shape[0], width: shape[1], channels: shape[2], numClasses: 10 };
}

export function perturb(m: tf.LayersModel, seed: number): void {
  let k = 0;
  for (const l of m.layers) {
    const cls = l.getClassName();
    if (cls === 'BatchNormalization') {
      // gamma, beta, moving mean, moving variance
      l.setWeights(l.getWeights().map((w, j) => tf.randomUniform(w.shape, j === 3 ? 0.5 : j === 0 ? 0.7 : -0.3, j === 3 ? 1.5 : j === 0 ? 1.3 : 0.3, 'float32', seed + k++)));
    } else if (cls === 'ActbenchActivation') {
      l.setWeights(l.getWeights().map((w) => tf.randomUniform(w.shape, 0.6, 1.4, 'float32', seed + k++)));
    }
  }
}
