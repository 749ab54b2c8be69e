/** Taps from a TF.js model (a run directory): one sub-model outputs every tapped layer's input and output. */
import * as tf from '@tensorflow/tfjs';
import { ActivationLayer } from '../acts/tfjs.js';
import type { ImageSet } from '../data/dataset.js';
import type { Normalisation } from '../data/split.js';
import { makeBatch } from '../train/batches.js';
import { selectTaps, type Tap, type TapBatch, type TapSource } from './taps.js';

export const symbolic = (x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor => (Array.isArray(x) ? x[0] : x);

/**
 * One sub-model computing several symbolic tensors of `model` (tf.model refuses repeated outputs, e.g. an
 * activation's output that is also the classifier's input): returns the values in the order asked.
 */
export function multiOutput(model: tf.LayersModel, wanted: tf.SymbolicTensor[]): (x: tf.Tensor) => { shape: number[]; data: Float32Array }[] {
  const unique = [...new Set(wanted)];
  const sub = tf.model({ inputs: model.inputs, outputs: unique });
  return (x) =>
    tf.tidy(() => {
      const res = sub.predict(x) as tf.Tensor | tf.Tensor[];
      const vals = (Array.isArray(res) ? res : [res]).map((t) => ({ shape: t.shape.slice(1) as number[], data: t.dataSync() as Float32Array }));
      return wanted.map((w) => vals[unique.indexOf(w)]);
    });
}

export function tfjsTaps(model: tf.LayersModel, norm: Normalisation, o: { layers?: string[]; describe: string; file?: string }): TapSource {
  const acts = model.layers.filter((l): l is ActivationLayer => l instanceof ActivationLayer);
  const found = acts.map((l) => ({ name: l.name, layer: l as tf.layers.Layer }));
  const byName = (name: string) => {
    const l = model.layers.find((x) => x.name === name);
    return l ? { name, layer: l } : null;
  };
  const chosen = selectTaps(found, o.layers, o.file, byName);
  const taps: Tap[] = chosen.map(({ name, layer }) =>
    layer instanceof ActivationLayer
      ? { name, kind: 'actbench', activation: layer.activation, params: layer.paramValues() }
      : { name, kind: 'node', activation: null, params: {} },
  );
  // the classifier's input: the features the last layer reads
  const head = model.outputLayers[0];
  const penult = head && head.getClassName() === 'Dense' ? symbolic(head.input) : null;
  const outputs = [...chosen.map(({ layer }) => symbolic(layer.input)), ...chosen.map(({ layer }) => symbolic(layer.output)), ...(penult ? [penult] : [])];
  const predict = multiOutput(model, outputs);
  return {
    describe: o.describe,
    taps,
    async run(images, n, shape) {
      const set: ImageSet = { name: 'batch', images, labels: new Int32Array(n), height: shape.height, width: shape.width, channels: shape.channels, numClasses: 2 };
      const b = makeBatch(set, Array.from({ length: n }, (_, k) => k), norm, 'none');
      const x = tf.tensor4d(b.x, [n, shape.height, shape.width, shape.channels]);
      const values = predict(x);
      x.dispose();
      const k = chosen.length;
      const batch: TapBatch = {
        n,
        inputs: values.slice(0, k).map((v) => v.data),
        outputs: values.slice(k, 2 * k).map((v) => v.data),
        shapes: values.slice(0, k).map((v) => v.shape as number[]),
        penultimate: penult ? { d: values[2 * k].data.length / n, values: values[2 * k].data } : null,
      };
      return batch;
    },
    async close() {
      // the sub-model shares the run model's weights: nothing of its own to free
    },
  };
}
