/**
 * Results as CSV in RobustBench's shape, long form. RobustBench stores corruption results as
 * model_info/<dataset>/corruptions/unaggregated_results.csv: one row per model, a two-level header
 * (corruption, severity 1–5), accuracy in [0, 1]. Here the same cells are one row each (model ×
 * corruption × severity), with the clean accuracy as corruption "clean", severity 0, so one file holds
 * every model and any subset of cells; pandas' `pivot_table(index='model', columns=['corruption',
 * 'severity'], values='accuracy')` gives RobustBench's table back. Columns are CSV_COLUMNS (docs in README).
 */
import { CORRUPTIONS } from '../corrupt/presets.js';
import { cellKey, type EvalRecord } from '../results/store.js';
import type { ModelRun } from './robustness.js';

export const CSV_COLUMNS = ['model', 'activation', 'seed', 'dataset', 'corruption', 'severity', 'accuracy', 'error', 'top5', 'n', 'provider', 'model_hash'] as const;

export type CsvRow = Record<(typeof CSV_COLUMNS)[number], string | number>;

/** The order of the rows within a model: clean, then the corruptions in catalogue order, severity ascending. */
const rank = (r: EvalRecord) => (r.corruption === null ? -1 : (CORRUPTIONS as readonly string[]).indexOf(r.corruption) * 10 + (r.severity ?? 0));

/**
 * The records each run's numbers come from: per model and dataset, the first record of each cell (a rerun
 * skips finished cells, so a later one is a duplicate — the rule collectRuns applies), in row order.
 */
export function runRecords(records: EvalRecord[], runs: ModelRun[]): EvalRecord[][] {
  return runs.map((run) => {
    const seen = new Set<string>();
    const mine = records.filter((r) => {
      if (r.modelHash !== run.modelHash || r.dataset !== run.dataset) return false;
      const k = cellKey(r.corruption, r.severity);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    return mine.sort((a, b) => rank(a) - rank(b));
  });
}

/** One row per model × cell. `error` is 1 − accuracy rounded to 12 decimals (no 0.09999999999999998). */
export function csvRows(records: EvalRecord[], runs: ModelRun[]): CsvRow[] {
  return runRecords(records, runs).flatMap((rs) =>
    rs.map((r) => ({
      model: r.model, activation: r.activation ?? '', seed: r.seed ?? '', dataset: r.dataset,
      corruption: r.corruption ?? 'clean', severity: r.severity ?? 0, accuracy: r.top1, error: +(1 - r.top1).toFixed(12), top5: r.top5, n: r.n,
      provider: r.provider, model_hash: r.modelHash,
    })),
  );
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled; lines end in \n. */
function field(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: CsvRow[]): string {
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => field(r[c])).join(','))].join('\n') + '\n';
}
