/**
 * Job entry: train one model (src/api/train.ts) and optionally export it (src/api/export.ts) in a child
 * process, so several trainings run at once on separate cores. Started by `trainInChild` (./train.ts).
 */
import { exportTrained } from '../api/export.js';
import { readManifest, runTraining } from '../api/train.js';
import { serveJob } from './serve.js';
import type { TrainJobRequest, TrainJobResult } from './train.js';

serveJob<TrainJobRequest, TrainJobResult>(async (req, log) => {
  if (req.kind === 'export') {
    const exported = await exportTrained({ ...req.export, dir: req.dir, log });
    return { dir: req.dir, manifest: readManifest(req.dir), exported };
  }
  const { dir, manifest } = await runTraining({ ...req.train, log });
  // a training stopped on a non-finite loss has no model worth exporting; the caller decides what it means
  if (!req.export || manifest.result.stopped) return { dir, manifest, exported: null };
  const exported = await exportTrained({ ...req.export, dir, log });
  return { dir, manifest, exported };
});
