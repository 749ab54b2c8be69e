/**
 * Job kind `eval-cells`: evaluate one ONNX model on a range of the cells (clean, then corruption ×
 * severity) of an evaluation source named by a JSON spec — on-the-fly corruption of a dataset, or a
 * CIFAR-10-C style directory. The worker builds the source from the spec exactly as `actbench eval` does
 * and refuses to work when its images are not the coordinator's (the identity part of the store key, a
 * hash of the images, differs). Deterministic; the records come back as the result (the coordinator appends
 * them to its store, which is the one that counts); the worker's own store is a scratch file, removed after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CorruptionName } from '../../corrupt/index.js';
import { loadDataset } from '../../data/sources.js';
import { SPLIT_SEED, stratifiedSubset } from '../../data/split.js';
import { cifarCSource, evaluateModel, onTheFlySource, type EvalSource } from '../../eval/evaluate.js';
import { ActbenchError } from '../../errors.js';
import { ResultsStore, type EvalRecord } from '../../results/store.js';
import type { EpName, OptLevel } from '../../runtime/session.js';

/** An evaluation source as plain JSON: what `actbench eval`'s flags choose (paths absolute). */
export type EvalSourceSpec =
  | { kind: 'on-the-fly'; data: string; corruptions: CorruptionName[]; severities: number[]; seed: number; batch: number; limit?: number }
  | { kind: 'cifar-c'; dir: string; data: string; corruptions?: CorruptionName[]; severities?: number[]; batch: number; limit?: number };

export interface EvalCellsInput {
  model: string;
  source: EvalSourceSpec;
  /** the cells evaluated: source.cells[from … to) */
  from: number;
  to: number;
  /** the identity of the images (the store key after '#') the coordinator's source has */
  identity: string;
  ep: EpName;
  optLevel: OptLevel;
  fidelity?: boolean;
}

export interface EvalCellsResult {
  records: EvalRecord[];
}

/** The images of a store key: what follows the source's name (its path differs from machine to machine). */
export const sourceIdentity = (key: string): string => key.slice(key.indexOf('#'));

/** The source a spec names, built as `actbench eval` builds it (the clean set's --limit subset, per-image seeds from the full split). */
export function openEvalSource(spec: EvalSourceSpec): EvalSource {
  const full = loadDataset(spec.data).test;
  if (spec.kind === 'cifar-c') {
    return cifarCSource(spec.dir, { corruptions: spec.corruptions, severities: spec.severities, batch: spec.batch, clean: full, limit: spec.limit, cleanName: spec.data });
  }
  const limited = spec.limit !== undefined && spec.limit < full.labels.length;
  const sub = limited ? stratifiedSubset(full, spec.limit as number) : null;
  return onTheFlySource(sub ? sub.set : full, { name: spec.data, corruptions: spec.corruptions, severities: spec.severities, seed: spec.seed, batch: spec.batch, selection: limited ? `stratified:${SPLIT_SEED}` : 'all', indices: sub?.indices });
}

export async function evalCells(input: EvalCellsInput, log: (l: string) => void): Promise<EvalCellsResult> {
  const source = openEvalSource(input.source);
  const scratch = mkdtempSync(join(tmpdir(), 'actbench-eval-cells-'));
  try {
    if (sourceIdentity(source.key) !== input.identity) {
      throw new ActbenchError('JOB_DATA_MISMATCH', `the evaluation images on this worker (${sourceIdentity(source.key)}) are not the coordinator's (${input.identity}): give every worker the same dataset files`, { field: 'data' });
    }
    if (!(Number.isInteger(input.from) && Number.isInteger(input.to) && input.from >= 0 && input.from < input.to && input.to <= source.cells.length)) {
      throw new ActbenchError('JOB_BAD_INPUT', `cells ${input.from}…${input.to} are not inside the ${source.cells.length} cells of the source`, { field: 'from' });
    }
    const part: EvalSource = { ...source, cells: source.cells.slice(input.from, input.to) };
    const store = new ResultsStore(join(scratch, 'results.jsonl'));
    const records = await evaluateModel(input.model, part, { ep: input.ep, optLevel: input.optLevel, store, fidelity: input.fidelity, onCell: (r) => log(`${r.corruption ?? 'clean'}${r.severity ? `/${r.severity}` : ''}: top-1 ${(r.top1 * 100).toFixed(2)} %`) });
    return { records };
  } finally {
    await source.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
