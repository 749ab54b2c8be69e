/**
 * `actbench models` as a library call: the model zoo with parameter counts and multiply-accumulates, each
 * model built (with ReLU) at its own input shape or the one given, then disposed.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../acts/define.js';
import { countMacs, createModel, describeModel, modelNames } from '../models/registry.js';
import { selectBackend } from '../train/backend.js';

export interface ZooEntry {
  name: string;
  description: string;
  reference: string;
  /** [H, W, C] */
  input: [number, number, number];
  params: number;
  macs: number;
}

export interface ListModelsOptions {
  /** [H, W, C] for every model (default: each model's own) */
  input?: [number, number, number];
  /** number of classes (default 10) */
  classes?: number;
}

export async function listModels(o: ListModelsOptions = {}): Promise<ZooEntry[]> {
  await selectBackend('cpu', 'infer');
  const rows = modelNames().map((name) => {
    const d = describeModel(name);
    const input = (o.input ?? d.defaultInput) as [number, number, number];
    const m = createModel(name, { act: resolveActivation('relu'), numClasses: o.classes ?? 10, inputShape: input });
    const row = { name, description: d.description, reference: d.reference, input, params: m.countParams(), macs: countMacs(m) };
    m.dispose();
    return row;
  });
  tf.disposeVariables();
  return rows;
}
