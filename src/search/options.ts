/**
 * The inputs of a search, checked before any work (library callers get the same checks as the CLI), and
 * its recipe: everything that decides which candidates are drawn and how they are scored. `--resume`
 * continues a search only when the stored recipe equals the request (the budget may grow).
 */
import { ActbenchError } from '../errors.js';
import { MAX_SEED } from '../cli/parse-flags.js';
import type { FitnessKind } from './fitness.js';

export const FITNESS_KINDS: readonly FitnessKind[] = ['accuracy', 'robust', 'accuracy+latency', 'robust+latency'];

export interface SearchRecipe {
  model: string;
  data: string;
  population: number;
  sample: number;
  threshold: number;
  fitness: FitnessKind;
  latencyWeight: number;
  epochs: number;
  limitTrain: number;
  limitTest: number;
  lr: number;
  seed: number;
  /** children generated (and trained) together: decides the candidate sequence */
  workers: number;
  layerOps: boolean;
}

const bad = (code: string, field: string, expected: string, got: unknown): ActbenchError =>
  new ActbenchError(code, `${field} must be ${expected}, got ${JSON.stringify(got)}`, { field, exit: 2 });

/** Integers in [min, max]; `code` names the verb (SEARCH_BAD_OPTION, STUDY_BAD_OPTION). */
export function checkInt(code: string, field: string, v: unknown, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw bad(code, field, `an integer in [${min}, ${max}]`, v);
  return v;
}

export function checkNumber(code: string, field: string, v: unknown, o: { min?: number; minOpen?: boolean } = {}): number {
  const lo = o.min ?? -Infinity;
  const ok = typeof v === 'number' && Number.isFinite(v) && (o.minOpen ? v > lo : v >= lo);
  if (!ok) throw bad(code, field, `a finite number ${o.minOpen ? '>' : '≥'} ${lo}`, v);
  return v as number;
}

export const checkSeed = (code: string, field: string, v: unknown): number => checkInt(code, field, v, 0, MAX_SEED);

export interface SearchInputs extends Omit<SearchRecipe, 'layerOps'> {
  budget: number;
  layerOps?: boolean;
}

/** The recipe of a request, every field checked (SEARCH_BAD_OPTION, exit 2, naming the field). */
export function searchRecipe(o: SearchInputs): SearchRecipe {
  const C = 'SEARCH_BAD_OPTION';
  checkInt(C, 'budget', o.budget);
  const population = checkInt(C, 'population', o.population);
  const sample = checkInt(C, 'sample', o.sample);
  if (sample > population) {
    throw new ActbenchError(C, `sample (${sample}) must not exceed population (${population}): the tournament draws from the population`, { field: 'sample', exit: 2 });
  }
  if (!FITNESS_KINDS.includes(o.fitness)) throw bad(C, 'fitness', `one of ${FITNESS_KINDS.join(', ')}`, o.fitness);
  for (const [field, v] of [['model', o.model], ['data', o.data]] as const) if (typeof v !== 'string' || v.trim() === '') throw bad(C, field, 'a non-empty string', v);
  return {
    model: o.model,
    data: o.data,
    population,
    sample,
    threshold: checkNumber(C, 'threshold', o.threshold),
    fitness: o.fitness,
    latencyWeight: checkNumber(C, 'latencyWeight', o.latencyWeight, { min: 0 }),
    epochs: checkInt(C, 'epochs', o.epochs),
    limitTrain: checkInt(C, 'limitTrain', o.limitTrain),
    limitTest: checkInt(C, 'limitTest', o.limitTest),
    lr: checkNumber(C, 'lr', o.lr, { min: 0, minOpen: true }),
    seed: checkSeed(C, 'seed', o.seed),
    workers: checkInt(C, 'workers', o.workers),
    layerOps: !!o.layerOps,
  };
}
