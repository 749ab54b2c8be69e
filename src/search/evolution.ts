/**
 * Regularized ("aging") evolution (Real et al., AmoebaNet; as PANGAEA uses it): a population of P
 * candidates; each new child comes from the best of S samples drawn with replacement, mutated and
 * re-parameterised; it joins the population and the oldest member leaves. Candidates below the fitness
 * threshold V are discarded but count towards the budget C.
 *
 * Children are generated in deterministic batches (one per worker) from the state at the start of the
 * batch and inserted in generation order, so results do not depend on which evaluation finishes first.
 * The whole state — generator included — is saved after every evaluation; `resume` continues exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { NumpyRandomState } from '../corrupt/rng.js';
import { ActbenchError, fsError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { LAYER_SPACE, mutate, PANGAEA_SPACE, parameterize, randomInitial, toExpression, type Gene, type Mutation } from './genome.js';

export interface SearchConfig {
  population: number;
  sample: number;
  budget: number;
  /** fitness below this is discarded (PANGAEA: 20 % accuracy) */
  threshold: number;
  seed: number;
  /** children evaluated together */
  batch: number;
  /** extend PANGAEA's operators with layer-level statistics (LayerAct-style) */
  layerOps?: boolean;
}

export type CandidateStatus = 'ok' | 'nan' | 'parity' | 'duplicate' | 'error';

export interface Evaluation {
  fitness: number;
  status: CandidateStatus;
  /** validation accuracy, corrupted accuracy, latency ratio … whatever the fitness was made of */
  details: Record<string, number | string | null>;
  seconds: number;
}

export interface Candidate extends Evaluation {
  id: number;
  gene: Gene;
  expr: string;
  parent: number | null;
  mutation: Mutation | 'initial';
  /** kept in the population (≥ threshold) */
  admitted: boolean;
}

export interface SearchState {
  config: SearchConfig;
  rng: ReturnType<NumpyRandomState['getState']>;
  /** ids, oldest first */
  population: number[];
  history: Candidate[];
  /** a generated batch not yet fully evaluated: its children and the results so far */
  pending: { id: number; gene: Gene; parent: number | null; mutation: Mutation | 'initial'; result?: Evaluation }[];
}

export type FitnessFn = (gene: Gene, id: number) => Promise<Evaluation>;

export function initialState(config: SearchConfig): SearchState {
  return { config, rng: new NumpyRandomState(config.seed).getState(), population: [], history: [], pending: [] };
}

export function loadState(file: string): SearchState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fsError(e, file, 'read the search state');
  }
  let s: SearchState;
  try {
    s = JSON.parse(text) as SearchState;
  } catch (e) {
    throw new ActbenchError('SEARCH_BAD_STATE', `${file} is not a search state (${(e as Error).message}); --force starts the search afresh`, { file });
  }
  if (!s || typeof s !== 'object' || !s.config || !Array.isArray(s.history) || !Array.isArray(s.population) || !Array.isArray(s.pending) || !s.rng) {
    throw new ActbenchError('SEARCH_BAD_STATE', `${file} lacks config, rng, population, history or pending: not a search state; --force starts the search afresh`, { file });
  }
  return s;
}

/** Tournament over S samples (with replacement) of the current population: the fittest is the parent. */
function selectParent(state: SearchState, rng: NumpyRandomState): Candidate {
  const byId = new Map(state.history.map((c) => [c.id, c]));
  let best: Candidate | undefined;
  for (let k = 0; k < state.config.sample; k++) {
    const c = byId.get(state.population[rng.randint(0, state.population.length)]) as Candidate;
    if (!best || c.fitness > best.fitness) best = c;
  }
  return best as Candidate;
}

function generateBatch(state: SearchState): void {
  const rng = new NumpyRandomState(0);
  rng.setState(state.rng);
  const remaining = state.config.budget - state.history.length;
  const size = Math.min(state.config.batch, remaining);
  const initialLeft = state.config.population - state.history.length;
  const space = state.config.layerOps ? LAYER_SPACE : PANGAEA_SPACE;
  for (let k = 0; k < size; k++) {
    const id = state.history.length + k;
    if (k < initialLeft || state.population.length === 0) {
      state.pending.push({ id, gene: parameterize(randomInitial(rng, space), rng), parent: null, mutation: 'initial' });
    } else {
      const parent = selectParent(state, rng);
      const { child, mutation } = mutate(parent.gene, rng, space);
      state.pending.push({ id, gene: parameterize(child, rng), parent: parent.id, mutation });
    }
  }
  state.rng = rng.getState();
}

function admit(state: SearchState, p: SearchState['pending'][number]): void {
  const r = p.result as Evaluation;
  const admitted = r.fitness >= state.config.threshold;
  state.history.push({ ...r, id: p.id, gene: p.gene, expr: toExpression(p.gene), parent: p.parent, mutation: p.mutation, admitted });
  if (admitted) {
    state.population.push(p.id);
    // aging: the oldest member leaves once the population is full
    if (state.population.length > state.config.population) state.population.shift();
  }
}

export interface RunOptions {
  stateFile?: string;
  /** stop (with the state saved) after this many evaluations in this call — tests of interruption */
  maxEvaluations?: number;
  onCandidate?: (c: Candidate, state: SearchState) => void;
}

export async function runEvolution(state: SearchState, fitness: FitnessFn, o: RunOptions = {}): Promise<SearchState> {
  let evaluated = 0;
  const save = () => o.stateFile && writeFileAtomic(o.stateFile, JSON.stringify(state));
  while (state.history.length < state.config.budget) {
    if (state.pending.length === 0) {
      generateBatch(state);
      save();
    }
    // evaluate what the batch still lacks, in parallel; stop early if asked
    const todo = state.pending.filter((p) => !p.result);
    const allowed = o.maxEvaluations === undefined ? todo : todo.slice(0, Math.max(0, o.maxEvaluations - evaluated));
    // a failed evaluation stops the search, but only once its siblings have finished and been saved
    const settled = await Promise.allSettled(
      allowed.map(async (p) => {
        p.result = await fitness(p.gene, p.id);
        evaluated++;
        save();
      }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (allowed.length < todo.length) return state;
    for (const p of state.pending) {
      admit(state, p);
      o.onCandidate?.(state.history[state.history.length - 1], state);
    }
    state.pending = [];
    save();
    if (o.maxEvaluations !== undefined && evaluated >= o.maxEvaluations && state.history.length < state.config.budget) return state;
  }
  return state;
}

export function resumeOrStart(stateFile: string, config: SearchConfig): SearchState {
  if (existsSync(stateFile)) {
    const s = loadState(stateFile);
    return { ...s, config: { ...s.config, budget: config.budget } };
  }
  return initialState(config);
}

/** Best fitness so far after each evaluation (the paper's Figure 4 curve). */
export function bestSoFar(history: Candidate[]): number[] {
  let best = -Infinity;
  return history.map((c) => (best = Math.max(best, c.fitness)));
}
