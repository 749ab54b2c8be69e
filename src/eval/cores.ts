/**
 * How evaluation with on-the-fly corruption shares the cores between the corruption worker threads and
 * onnxruntime's intra-op threads. The batches are sequential (the next one is corrupted while the session
 * runs this one), so the session owns every core and one worker per 4 cores fills the gaps: with the
 * native corruption kernels a CIFAR image costs 10–400 µs of one core to corrupt against ~1.3 ms·core for
 * ResNet-20 at batch 256. Measured on the 2-core VM (`npm run bench -- pipeline`, reports/bench-pipeline.md,
 * six runs on a quiet machine, 2026-12-03): one worker beat two (1028 against 823 images/s), two intra-op
 * threads beat one by ~45 %, overlapping beat corrupting while the session waits (950 against 817), and
 * spinning on beat spinning off in four of the six runs by 6–13 % (it lost two, by 7 % and 2 %); on a loaded
 * machine spinning off had won (570 against 455). The bench times every alternative
 * against this choice and reports the share of the bound the sharing of the cores allows.
 */
import { availableParallelism } from 'node:os';

export interface CoreSplit {
  /** corruption worker threads */
  workers: number;
  /** onnxruntime intra-op threads */
  intraOpThreads: number;
  /** session.intra_op.allow_spinning */
  spinning: boolean;
  /**
   * corrupt the next batch while the session runs this one (true), or corrupt each batch with every
   * worker while the session waits (false): overlapping puts worker and intra-op threads on the same cores
   */
  overlap: boolean;
}

/** The split for `cores` cores (default: the cores this process may use). */
export function onTheFlyCoreSplit(cores = availableParallelism()): CoreSplit {
  const n = Math.max(1, Math.floor(cores));
  return { workers: Math.max(1, Math.floor(n / 4)), intraOpThreads: n, spinning: true, overlap: true };
}
