/** Train (and export) one model in a child job: the typed request and result, and the call that runs it. */
import type { ExportReport, ExportRequest } from '../api/export.js';
import type { Manifest, TrainRequest } from '../api/train.js';
import { jobEntry, runJob } from './runner.js';

/** Export options as they cross to the child (the run directory is the job's) */
export type ExportJobOptions = Omit<ExportRequest, 'dir' | 'log'>;

/** everything a training takes except the callbacks, which cannot cross processes (log lines come back) */
export type TrainJobTraining = Omit<TrainRequest, 'onStep' | 'onEpoch' | 'log'>;

export type TrainJobRequest =
  | {
      kind: 'train';
      train: TrainJobTraining;
      /** export after training (skipped when the training stopped on a non-finite loss) */
      export?: ExportJobOptions;
    }
  /** export an already trained run directory */
  | { kind: 'export'; dir: string; export: ExportJobOptions };

export interface TrainJobResult {
  dir: string;
  manifest: Manifest;
  exported: ExportReport | null;
}

const ENTRY = jobEntry('train-job', import.meta.url);

/** Runs the training in a child; rejects with the child's coded error (code, file, field kept). */
export function trainInChild(req: TrainJobRequest, o: { label: string; log?: (line: string) => void }): Promise<TrainJobResult> {
  return runJob<TrainJobRequest, TrainJobResult>(ENTRY, req, o);
}
