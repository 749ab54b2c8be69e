/**
 * How evaluation with on-the-fly corruption shares the cores between the corruption worker threads and
 * onnxruntime's intra-op threads. The batches are sequential (the next one is corrupted while the session
 * runs this one), so the session should own every core and the workers should only fill the gaps: with the
 * native corruption kernels a CIFAR image costs 10–300 µs of one core to corrupt against ~500 µs·core for
 * ResNet-20, so one worker per 4 cores keeps up, and intra-op threads must not spin-wait (a spinning
 * thread takes the core a worker needs between two operators). Measured in reports/bench-pipeline.md
 * (`npm run bench -- pipeline`, which times the alternatives against this choice).
 */
import { availableParallelism } from 'node:os';

export interface CoreSplit {
  /** corruption worker threads */
  workers: number;
  /** onnxruntime intra-op threads */
  intraOpThreads: number;
  /** session.intra_op.allow_spinning */
  spinning: boolean;
}

/** The split for `cores` cores (default: the cores this process may use). */
export function onTheFlyCoreSplit(cores = availableParallelism()): CoreSplit {
  const n = Math.max(1, Math.floor(cores));
  return { workers: Math.max(1, Math.floor(n / 4)), intraOpThreads: n, spinning: false };
}
