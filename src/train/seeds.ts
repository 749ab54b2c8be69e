/**
 * Seeds for every random draw of a training run, derived from the run seed (any integer in [0, 2³²−1]).
 *
 * TF.js treats a falsy seed (0) as "unseeded" (Math.random) in its Gaussian initialisers, so a derived
 * seed must never be 0; and two layers (or two runs) must never share a stream. Initialiser seeds are
 * therefore an injective packing, not a hash: 1 + runSeed·2²⁰ + layer — distinct for every (seed, layer)
 * with layer < 2²⁰, never 0, and below 2⁵² so exact as a float (TF.js stringifies it for its generator).
 * Data-side streams (shuffling, augmentation) use mulberry32's 32-bit state: they are mixed from the words
 * that identify them, with a purpose tag so the shuffle and the augmentation of one batch never coincide.
 */
import { ActbenchError } from '../errors.js';

export const MAX_RUN_SEED = 2 ** 32 - 1;
/** layers per model that get distinct initialiser seeds */
export const MAX_SEEDED_LAYERS = 2 ** 20;

export function checkRunSeed(seed: number, field = 'seed'): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_RUN_SEED) {
    throw new ActbenchError('TRAIN_BAD_SEED', `seed must be an integer in [0, ${MAX_RUN_SEED}], got ${seed}`, { field, exit: 2 });
  }
  return seed;
}

/** The initialiser (or dropout) seed of the `layer`-th seeded layer of a model built with `runSeed`. */
export function layerSeed(runSeed: number, layer: number): number {
  checkRunSeed(runSeed);
  if (!Number.isInteger(layer) || layer < 0 || layer >= MAX_SEEDED_LAYERS) {
    throw new ActbenchError('MODEL_TOO_MANY_LAYERS', `a model may have at most ${MAX_SEEDED_LAYERS} seeded layers, this one needs ${layer + 1}`, { field: 'model' });
  }
  return 1 + runSeed * MAX_SEEDED_LAYERS + layer;
}

/** murmur3's 32-bit finaliser: a bijection on 32-bit words with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Purposes of the data-side streams, so two purposes never share a stream for the same words. */
export const STREAM = { shuffle: 0x5348, augment: 0x4155 } as const;

/**
 * A 32-bit seed for mulberry32 from a purpose and integer words (run seed, epoch, step …). Each word is
 * folded in through a bijection, so for fixed other words distinct values of any one word give distinct
 * seeds; words may be any non-negative integer below 2⁵³ (folded as two 32-bit halves).
 */
export function streamSeed(purpose: number, ...words: number[]): number {
  let h = fmix32(purpose >>> 0);
  for (const w of words) {
    const lo = w >>> 0;
    const hi = Math.floor(w / 2 ** 32) >>> 0;
    h = fmix32((h ^ lo) >>> 0);
    h = fmix32((Math.imul(h, 0x9e3779b1) ^ hi) >>> 0);
  }
  return h;
}
