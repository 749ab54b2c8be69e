/** Shared by the backend parity tests: N momentum-SGD steps of a zoo model on a fixed tiny batch. */
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../../src/acts/define.js';
import { createModel } from '../../src/models/registry.js';
import { selectBackend, type BackendName } from '../../src/train/backend.js';
import { rng } from '../helpers.js';


export function parityShape(name: string): [number, number, number] {
  return name === 'cnn_small' || name === 'mlp' ? [8, 8, 1] : [8, 8, 3];
}

/** Losses of `steps` training steps, and the final weights. */
export async function trainSteps(backend: BackendName, name: string, act: string, steps: number, batch = 2, lr = 0.01): Promise<{ losses: number[]; weights: Float32Array[] }> {
  await selectBackend(backend, 'train');
  const shape = parityShape(name);
  const model = createModel(name, { act: resolveActivation(act), numClasses: 4, inputShape: shape, width: name.startsWith('wrn') ? 1 : 0.25, seed: 5 });
  const r = rng(11);
  const px = batch * shape[0] * shape[1] * shape[2];
  const x = tf.tensor(Float32Array.from({ length: px }, () => r() * 2 - 1), [batch, ...shape]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 4), 'int32'), 4).toFloat();
  const opt = tf.train.momentum(lr, 0.9);
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const losses: number[] = [];
  for (let k = 0; k < steps; k++) {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
      opt.applyGradients(grads as unknown as Parameters<typeof opt.applyGradients>[0]);
      losses.push(value.dataSync()[0]);
    });
  }
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return { losses, weights };
}
