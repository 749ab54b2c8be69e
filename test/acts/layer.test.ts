import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../../src/acts/define.js';
import { ActivationLayer, activationLayer } from '../../src/acts/tfjs.js';
import { rng, useCpuBackend } from '../helpers.js';

function tinyModel(act: string): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  m.add(activationLayer(resolveActivation(act), { name: 'act' }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return m;
}

function data(n: number): { x: tf.Tensor; y: tf.Tensor } {
  const r = rng(5);
  const xs = Float32Array.from({ length: n * 72 }, () => r() * 2 - 1);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  // the label is readable from the input so a few steps can learn it
  for (let i = 0; i < n; i++) xs[i * 72] = labels[i] ? 2 : -2;
  return { x: tf.tensor4d(xs, [n, 6, 6, 2]), y: tf.oneHot(labels, 2).toFloat() };
}

before(useCpuBackend);

describe('ActivationLayer', () => {
  it('creates per-channel parameters at their initial values and trains them', async () => {
    const m = tinyModel('pangaea_p6'); // P5 at init is exactly Swish: its α, β get no gradient
    const layer = m.getLayer('act') as ActivationLayer;
    const before = layer.paramValues();
    assert.deepEqual(Object.keys(before).sort(), ['alpha', 'beta', 'gamma']);
    assert.deepEqual([...before.alpha.values], [1, 1, 1]);
    m.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy' });
    const { x, y } = data(16);
    const h = await m.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0 });
    const losses = h.history.loss as number[];
    assert.ok(losses[4] < losses[0], `loss did not go down: ${losses.join(', ')}`);
    const after = layer.paramValues();
    for (const name of ['alpha', 'beta', 'gamma']) {
      assert.ok([...after[name].values].some((v) => Math.abs(v - 1) > 1e-6), `${name} did not train`);
    }
  });

  for (const act of ['la_silu:alpha=0.1', 'velu', 'prelu', 'min(swish(x), a*elu(relu(b*x)))']) {
    it(`${act}: serialises its definition and loads back computing the same function`, async () => {
      const m = tinyModel(act);
      const layer = m.getLayer('act') as ActivationLayer;
      // move the parameters off their initial values so the round trip is visible
      for (const w of layer.trainableWeights) w.write(tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', 9));
      let saved: tf.io.ModelArtifacts | undefined;
      await m.save(tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      assert.ok(saved);
      const topology = JSON.stringify(saved.modelTopology);
      assert.match(topology, /ActbenchActivation/);
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
      const reloaded = loaded.getLayer('act') as ActivationLayer;
      assert.deepEqual(reloaded.activation, layer.activation);
      const { x } = data(4);
      const a = (m.predict(x) as tf.Tensor).dataSync();
      const b = (loaded.predict(x) as tf.Tensor).dataSync();
      for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k] - b[k]) < 1e-6);
    });
  }

  it('VeLU keeps its weighted auxiliary loss from training calls only', () => {
    const layer = activationLayer(resolveActivation('velu'));
    const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 3);
    layer.apply(x);
    tf.tidy(() => layer.call(x, { training: false }));
    assert.equal(layer.takeAuxLoss(), null);
    tf.tidy(() => layer.call(x, { training: true }));
    const aux = layer.takeAuxLoss();
    assert.ok(aux);
    const v = aux.dataSync()[0];
    assert.ok(v > 0 && v < 0.1 * 5, `aux loss ${v}`);
    assert.equal(layer.takeAuxLoss(), null);
  });
});
