/**
 * Job kind `train-run`: train one run, export it to ONNX and validate the export against TF.js. Idempotent,
 * since a queue delivers at least once: a run directory that already holds the finished run is answered
 * from its manifest, an unfinished one resumes from its checkpoint (a worker killed mid-training), and one
 * left by a training killed in its first epoch (no checkpoint yet) is started afresh.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exportedTarget, exportTrained } from '../../api/export.js';
import { readManifest, runTraining, TrainStoppedError, type Manifest } from '../../api/train.js';
import { inspectRunDir } from '../../train/run-dir.js';
import type { JobContext } from './index.js';
import type { ExportReport } from '../../api/export.js';
import type { ExportJobOptions, TrainJobTraining } from '../train.js';

export interface TrainRunInput {
  /** the training (its `out` is the run directory; resume and force are decided here, not by the caller) */
  train: Omit<TrainJobTraining, 'resume' | 'force'> & { out: string };
  /** export and validate after training (skipped for a run stopped on a non-finite loss) */
  export?: ExportJobOptions;
}

export interface TrainRunResult {
  dir: string;
  manifest: Manifest;
  exported: ExportReport | null;
}

/** Train (or resume, or reuse) the run; a non-finite loss is a result (manifest.result.stopped), not a failure. */
export async function trainRun(input: TrainRunInput, log: (l: string) => void, ctx: JobContext = {}): Promise<TrainRunResult> {
  const dir = input.train.out;
  const st = inspectRunDir(dir);
  let manifest: Manifest;
  if (st.kind === 'finished' || (st.kind === 'stopped' && !st.checkpoint)) {
    manifest = readManifest(dir);
    log(`${dir}: finished earlier`);
  } else {
    const resume = st.kind === 'unfinished' || (st.kind === 'stopped' && st.checkpoint);
    try {
      manifest = (await runTraining({ backend: ctx.backend, ...input.train, resume, log })).manifest;
    } catch (e) {
      if (!(e instanceof TrainStoppedError)) throw e;
      manifest = e.manifest;
    }
  }
  if (!input.export || manifest.result.stopped) return { dir, manifest, exported: null };
  const done = existsSync(join(dir, 'model.onnx')) && exportedTarget(dir) === (input.export.target ?? 'any');
  // a finished export for the same target is not redone (its report is the run's export.json); otherwise export now
  const exported = done ? null : await exportTrained({ ...input.export, dir, log });
  return { dir, manifest, exported };
}
