/**
 * `actbench bench` as a library call: benchmark ONNX models in turns (src/bench/models.ts) and append one
 * record per model and batch size to a results store. The store is checked (a foreign file refused, a torn
 * tail repaired) before any timing, and written under its lock after.
 */
import { benchModels, type ModelBenchOptions } from '../bench/models.js';
import { ResultsStore, type BenchRecord } from '../results/store.js';
import { assertDisjoint } from '../util/paths.js';

export interface BenchRunOptions extends ModelBenchOptions {
  /** the results store (JSON lines) the records are appended to */
  results: string;
  /** what the store repaired, if anything */
  log?: (line: string) => void;
}

export interface BenchRunResult {
  /** the records as stored (with their schemaVersion), in benchmark order */
  records: BenchRecord[];
  results: string;
}

export async function runBench(models: string[], o: BenchRunOptions): Promise<BenchRunResult> {
  const { results, log, ...bench } = o;
  assertDisjoint({ path: results, what: '--results' }, models.map((m) => ({ path: m, what: 'model' })));
  const store = new ResultsStore(results, log);
  store.prepareAppend();
  const measured = await benchModels(models, bench);
  const lock = store.lock();
  try {
    return { records: measured.map((r) => store.append(r)), results };
  } finally {
    lock.release();
  }
}
