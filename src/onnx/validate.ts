/**
 * Export validation: the TF.js model and the ONNX model on onnxruntime, fed the same images, must give the
 * same logits (max abs difference, relative to the logit scale) and the same top-1 class.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import type { Normalisation } from '../data/split.js';
import { createSession } from '../runtime/session.js';
import { makeBatch } from '../train/batches.js';
import * as ort from 'onnxruntime-node';

export interface Fidelity {
  images: number;
  maxAbsDiff: number;
  /** max |logit| of the TF.js model, the scale maxAbsDiff should be read against */
  logitScale: number;
  top1Agreement: number;
}

export async function compareOnImages(
  model: tf.LayersModel,
  onnxBytes: Uint8Array,
  images: ImageSet,
  norm: Normalisation,
  o: { uint8Input: boolean; batchSize?: number },
): Promise<Fidelity> {
  const s = await createSession(onnxBytes, { ep: 'cpu' });
  const { height: H, width: W, channels: C } = images;
  const bs = o.batchSize ?? 64;
  let maxAbsDiff = 0;
  let logitScale = 0;
  let agree = 0;
  for (let i = 0; i < images.labels.length; i += bs) {
    const idx = Array.from({ length: Math.min(bs, images.labels.length - i) }, (_, k) => i + k);
    const b = makeBatch(images, idx, norm, 'none');
    const n = idx.length;
    const ref = tf.tidy(() => (model.predict(tf.tensor4d(b.x, [n, H, W, C])) as tf.Tensor).dataSync() as Float32Array);
    let feed: ort.Tensor;
    if (o.uint8Input) {
      feed = new ort.Tensor('uint8', images.images.subarray(i * H * W * C, (i + n) * H * W * C), [n, H, W, C]);
    } else {
      const nchw = tf.tidy(() => tf.tensor4d(b.x, [n, H, W, C]).transpose([0, 3, 1, 2]).dataSync() as Float32Array);
      feed = new ort.Tensor('float32', nchw, [n, C, H, W]);
    }
    const out = (await s.session.run({ [s.session.inputNames[0]]: feed }))[s.session.outputNames[0]].data as Float32Array;
    const classes = ref.length / n;
    for (let k = 0; k < n; k++) {
      let am = 0;
      let bm = 0;
      for (let c = 0; c < classes; c++) {
        const a = ref[k * classes + c];
        const y = out[k * classes + c];
        maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(a - y) ? Infinity : Math.abs(a - y));
        logitScale = Math.max(logitScale, Math.abs(a));
        if (a > ref[k * classes + am]) am = c;
        if (y > out[k * classes + bm]) bm = c;
      }
      if (am === bm) agree++;
    }
  }
  await s.session.release();
  return { images: images.labels.length, maxAbsDiff, logitScale, top1Agreement: agree / Math.max(1, images.labels.length) };
}
