/**
 * Saving and loading TF.js models without tfjs-node's file:// handler: model.json + weights.bin, written
 * atomically (temp file + rename).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ActbenchError, fsError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import '../acts/tfjs.js'; // registers ActivationLayer for deserialisation
import '../models/layers.js'; // registers ShortcutA

export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightData || !artifacts.weightSpecs) throw new Error('internal: model.save produced no weights');
  const weights = new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]));
  // weights first: a model.json that exists always has its weights next to it
  writeFileAtomic(join(dir, 'weights.bin'), weights);
  writeFileAtomic(
    join(dir, 'model.json'),
    JSON.stringify({
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: 'actbench',
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    }),
  );
}

export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const jsonPath = join(dir, 'model.json');
  const binPath = join(dir, 'weights.bin');
  if (!existsSync(jsonPath)) throw new ActbenchError('MODEL_MISSING', `${jsonPath} not found (a trained model directory has model.json and weights.bin)`, { file: jsonPath });
  let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw fsError(e, jsonPath, 'read the model');
    throw new ActbenchError('MODEL_BAD_JSON', `${jsonPath}: ${(e as Error).message}`, { file: jsonPath });
  }
  const manifestOk =
    json && typeof json.modelTopology === 'object' && json.modelTopology !== null && Array.isArray(json.weightsManifest) &&
    json.weightsManifest.every((m) => m && Array.isArray(m.weights) && m.weights.every((w) => w && typeof w.name === 'string' && Array.isArray(w.shape) && (w.dtype ?? 'float32') === 'float32'));
  if (!manifestOk) throw new ActbenchError('MODEL_BAD_JSON', `${jsonPath}: expected a TF.js layers model (modelTopology and weightsManifest of float32 weights)`, { file: jsonPath, field: 'weightsManifest' });
  if (!existsSync(binPath)) throw new ActbenchError('MODEL_MISSING', `${binPath} not found`, { file: binPath });
  let bin: Buffer;
  try {
    bin = readFileSync(binPath);
  } catch (e) {
    throw fsError(e, binPath, 'read the weights');
  }
  const weightSpecs = json.weightsManifest.flatMap((m) => m.weights);
  const expected = weightSpecs.reduce((a, w) => a + w.shape.reduce((p, q) => p * q, 1) * 4, 0);
  if (bin.length !== expected) throw new ActbenchError('MODEL_BAD_WEIGHTS', `${binPath}: ${bin.length} bytes, the manifest needs ${expected}`, { file: binPath });
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
}
