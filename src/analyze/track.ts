/**
 * `train --track-stats`: after every epoch, the activation-mean distribution of each activation layer on
 * a fixed batch of training images (the paper's "zero-like activation mean over the epochs"). Kept in the
 * epoch log, so the checkpoint carries it and a resumed run has the same history.
 */
import * as tf from '@tensorflow/tfjs';
import { ActivationLayer } from '../acts/tfjs.js';
import { multiOutput, symbolic } from './taps-tfjs.js';
import { summarize, UnitMeans, type Summary } from './stats.js';

export interface LayerMeanStats {
  layer: string;
  /** the distribution over units of each unit's mean output across the batch */
  outputMean: Summary;
  /** the same for the activation input */
  inputMean: Summary;
}

/** A normalised NHWC batch that stays the same for every epoch. */
export interface FixedBatch {
  x: Float32Array;
  shape: [number, number, number, number];
}

export function activationMeanStats(model: tf.LayersModel, batch: FixedBatch): LayerMeanStats[] {
  const acts = model.layers.filter((l): l is ActivationLayer => l instanceof ActivationLayer);
  if (acts.length === 0) return [];
  const predict = multiOutput(model, [...acts.map((a) => symbolic(a.input)), ...acts.map((a) => symbolic(a.output))]);
  const n = batch.shape[0];
  const x = tf.tensor4d(batch.x, batch.shape);
  const values = predict(x).map((v) => v.data);
  x.dispose();
  return acts.map((a, k) => {
    const means = (v: Float32Array) => {
      const u = new UnitMeans(v.length / n);
      u.add(v, n);
      return summarize(u.means());
    };
    return { layer: a.name, inputMean: means(values[k]), outputMean: means(values[acts.length + k]) };
  });
}
