/** Training recipes and learning-rate schedules of the papers. */
import { ActbenchError } from '../errors.js';

export interface Recipe {
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  /** L2 on every trainable weight, as PyTorch's SGD weight_decay (LayerAct: 1e-4) */
  weightDecay: number;
  schedule: 'step' | 'cosine' | 'constant';
  /** step schedule: epochs (fractions of the run when < 1) where lr is multiplied by `gamma` */
  milestones: number[];
  gamma: number;
  warmupEpochs: number;
  /** clip the global gradient norm (VeLU needs it); 0 = off */
  clipNorm: number;
  labelSmoothing: number;
  augment: 'cifar' | 'none';
  /** stratified hold-out of the training set for validation */
  valFraction: number;
}

/** LayerAct's CIFAR recipe scaled to the run: lr 0.1, ÷10 at 50 % and 75 % (32k/48k of 64k iterations). */
export const DEFAULT_RECIPE: Recipe = {
  epochs: 10,
  batchSize: 128,
  lr: 0.1,
  momentum: 0.9,
  nesterov: false,
  weightDecay: 1e-4,
  schedule: 'step',
  milestones: [0.5, 0.75],
  gamma: 0.1,
  warmupEpochs: 0,
  clipNorm: 0,
  labelSmoothing: 0,
  augment: 'none',
  valFraction: 0.1,
};

/** Learning rate at a (fractional) epoch. */
export function learningRate(r: Recipe, epoch: number): number {
  if (r.warmupEpochs > 0 && epoch < r.warmupEpochs) return (r.lr * (epoch + 1e-9)) / r.warmupEpochs;
  switch (r.schedule) {
    case 'constant':
      return r.lr;
    case 'cosine': {
      const t = (epoch - r.warmupEpochs) / Math.max(r.epochs - r.warmupEpochs, 1e-9);
      return 0.5 * r.lr * (1 + Math.cos(Math.PI * Math.min(Math.max(t, 0), 1)));
    }
    case 'step': {
      const passed = r.milestones.map((m) => (m < 1 ? m * r.epochs : m)).filter((m) => epoch >= m).length;
      return r.lr * r.gamma ** passed;
    }
  }
}

export function validateRecipe(r: Recipe): Recipe {
  const bad = (field: string, expected: string, v: unknown) => new ActbenchError('TRAIN_BAD_RECIPE', `${field}: expected ${expected}, got ${String(v)}`, { field });
  if (!Number.isInteger(r.epochs) || r.epochs < 1) throw bad('epochs', 'a positive integer', r.epochs);
  if (!Number.isInteger(r.batchSize) || r.batchSize < 1) throw bad('batchSize', 'a positive integer', r.batchSize);
  if (!(r.lr > 0)) throw bad('lr', 'a positive number', r.lr);
  if (!(r.momentum >= 0 && r.momentum < 1)) throw bad('momentum', 'a number in [0, 1)', r.momentum);
  if (!(r.weightDecay >= 0)) throw bad('weightDecay', 'a number ≥ 0', r.weightDecay);
  if (!(r.valFraction >= 0 && r.valFraction < 1)) throw bad('valFraction', 'a number in [0, 1)', r.valFraction);
  if (!(r.labelSmoothing >= 0 && r.labelSmoothing < 1)) throw bad('labelSmoothing', 'a number in [0, 1)', r.labelSmoothing);
  return r;
}
