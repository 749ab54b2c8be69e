/**
 * The results store: one JSON record per measurement, appended to a JSONL file (one write per line, so a
 * killed run leaves only whole records), with provenance. Evaluation cells are keyed by (model hash,
 * dataset, corruption, severity) so a rerun skips what is done.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Provenance {
  actbench: string;
  machine: string;
  time: string;
}

export interface EvalRecord {
  kind: 'eval';
  model: string;
  modelHash: string;
  /** the activation the model was exported with (from its metadata), if known */
  activation?: string;
  seed?: number;
  dataset: string;
  corruption: string | null;
  severity: number | null;
  top1: number;
  top5: number;
  n: number;
  provider: string;
  requestedProvider: string;
  optLevel: string;
  /** TF.js vs ONNX top-1 agreement on the same inputs, when the TF.js model was available */
  fidelity?: number;
  seconds: number;
  provenance: Provenance;
}

export interface BenchRecord {
  kind: 'bench';
  model: string;
  modelHash: string;
  activation?: string;
  batch: number;
  imagesPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; cv: number };
  sessionCreateMs: number;
  firstRunMs: number;
  rssMiB: number;
  gpuMemoryMiB?: number;
  warmup: number;
  reps: number;
  provider: string;
  requestedProvider: string;
  fallbackReason?: string;
  optLevel: string;
  intraOpThreads?: number;
  onnxruntime: string;
  provenance: Provenance;
}

export type ResultRecord = EvalRecord | BenchRecord;

export class ResultsStore {
  constructor(readonly file: string) {}

  append(r: ResultRecord): void {
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, JSON.stringify(r) + '\n');
  }

  /** All whole records; a torn last line (killed mid-write) is ignored. */
  read(): ResultRecord[] {
    if (!existsSync(this.file)) return [];
    const out: ResultRecord[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as ResultRecord);
      } catch {
        // an incomplete line from an interrupted append
      }
    }
    return out;
  }

  /** The finished eval cells of one model and dataset, read once (lookups by corruption/severity). */
  evalCells(modelHash: string, dataset: string): Map<string, EvalRecord> {
    const cells = new Map<string, EvalRecord>();
    for (const r of this.read()) {
      if (r.kind === 'eval' && r.modelHash === modelHash && r.dataset === dataset && !cells.has(cellKey(r.corruption, r.severity))) cells.set(cellKey(r.corruption, r.severity), r);
    }
    return cells;
  }
}

export function cellKey(corruption: string | null, severity: number | null): string {
  return `${corruption ?? 'clean'}/${severity ?? '-'}`;
}
