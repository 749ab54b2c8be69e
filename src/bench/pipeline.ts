/**
 * Evaluation pipeline speed: images/s of `actbench eval` end to end (data loading or on-the-fly corruption
 * included) against `session.run` alone on the same model and batches — the fraction tells how busy the
 * pipeline keeps the session — and onnxruntime CPU inference of an exported resnet20 against the same
 * model in TF.js.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../acts/define.js';
import { corruptArraySet } from '../corrupt/pipeline.js';
import { onTheFlyCoreSplit, type CoreSplit } from '../eval/cores.js';
import { cifarCSource, classify, evaluateModel, onTheFlySource, prepareModel, readModelInfo } from '../eval/evaluate.js';
import { createModel } from '../models/registry.js';
import { exportLayersModel } from '../onnx/export.js';
import { ResultsStore } from '../results/store.js';
import { createSession, DEFAULT_OPT_LEVEL } from '../runtime/session.js';
import { selectBackend } from '../train/backend.js';
import { benchImages } from './corruptions.js';
import { machineInfo, machineLine } from './machine.js';

export interface PipelineBench {
  images: number;
  batch: number;
  /** session.run on in-memory batches, best of three passes (images/s) */
  runAlone: number;
  /** corrupting the images in one worker thread, nothing else running (images/s) */
  corruptAlone: number;
  /**
   * the most on-the-fly eval can reach when the session's work and the corruption share the cores:
   * cores / (cores/runAlone + 1/corruptAlone), the session keeping every core busy while it runs
   */
  bound: number;
  /** cores the bound assumes (availableParallelism) */
  cores: number;
  fromNpy: number;
  onTheFly: number;
  ortResnet20: number;
  tfjsResnet20: number;
  tfjsBackend: string;
  machine: string;
  /** the default split of the cores (eval/cores.ts) used by the on-the-fly row */
  split: CoreSplit;
  /** on-the-fly eval under each candidate split, best of two interleaved passes (images/s) */
  splits: { split: CoreSplit; imagesPerSecond: number }[];
  /** 1-minute load average before and after */
  load: [number, number];
}

/** Worker / intra-op thread / spinning combinations to time on `cores` cores (the default among them). */
function candidateSplits(cores: number): CoreSplit[] {
  const uniq = (xs: number[]) => [...new Set(xs.map((x) => Math.max(1, Math.round(x))))];
  const out: CoreSplit[] = [];
  for (const workers of uniq([1, cores / 2, cores]))
    for (const intraOpThreads of uniq([cores, cores - 1]))
      for (const spinning of [false, true]) out.push({ workers, intraOpThreads, spinning, overlap: true });
  // corrupting while the session waits: every core for each phase in turn
  for (const spinning of [false, true]) out.push({ workers: cores, intraOpThreads: cores, spinning, overlap: false });
  return out;
}

export async function benchPipeline(o: { images?: number; batch?: number; log?: (s: string) => void } = {}): Promise<PipelineBench> {
  const n = o.images ?? 2048;
  const batch = o.batch ?? 256;
  const dir = mkdtempSync(join(tmpdir(), 'actbench-bench-pipeline-'));
  const load0 = loadavg()[0];
  try {
    const backend = await selectBackend('auto', 'infer');
    const norm = { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] };
    const m = createModel('resnet20', { act: resolveActivation('relu'), numClasses: 10, inputShape: [32, 32, 3], seed: 1 });
    const modelPath = join(dir, 'resnet20.onnx');
    writeFileSync(modelPath, exportLayersModel(m, { preprocess: norm }).bytes);
    const set = benchImages(n);
    const info = prepareModel(readModelInfo(modelPath), { height: 32, width: 32, channels: 3, labelSets: [] });

    // session.run alone on in-memory batches
    const s = await createSession(modelPath, { ep: 'cpu' });
    await classify(s, info, set.images.subarray(0, batch * 3072), set.labels.subarray(0, batch), 32, 32, 3);
    // the denominator of every share below: best of three passes, so one slow pass does not inflate them
    let runAlone = 0;
    for (let pass = 0; pass < 3; pass++) {
      const t = performance.now();
      for (let k = 0; k < n; k += batch) {
        const e = Math.min(n, k + batch);
        await classify(s, info, set.images.subarray(k * 3072, e * 3072), set.labels.subarray(k, e), 32, 32, 3);
      }
      runAlone = Math.max(runAlone, n / ((performance.now() - t) / 1000));
    }
    await s.session.release();
    o.log?.(`session.run alone: ${runAlone.toFixed(0)} img/s`);

    // the CIFAR-C directory for the next row, written by one worker and timed: the corruption's own cost per image
    const cdir = join(dir, 'c');
    let t0 = performance.now();
    await corruptArraySet(set, { corruptions: ['gaussian_noise'], severities: [3], seed: 0, out: cdir, workers: 1 }, 'bench');
    const corruptAlone = n / ((performance.now() - t0) / 1000);
    const cores = availableParallelism();
    const bound = cores / (cores / runAlone + 1 / corruptAlone);
    o.log?.(`corruption alone (one worker): ${corruptAlone.toFixed(0)} img/s; on-the-fly bound ${bound.toFixed(0)} img/s`);
    // end to end from that directory (reads by ranges)
    t0 = performance.now();
    await evaluateModel(modelPath, cifarCSource(cdir, { batch }), { ep: 'cpu', store: new ResultsStore(join(dir, 'a.jsonl')) });
    const fromNpy = n / ((performance.now() - t0) / 1000);
    o.log?.(`eval from .npy: ${fromNpy.toFixed(0)} img/s`);

    // end to end with on-the-fly corruption in worker threads, under each candidate split of the cores
    let runs = 0;
    const onTheFlyRun = async (split?: CoreSplit) => {
      const src = onTheFlySource(set, { name: 'bench', corruptions: ['gaussian_noise'], severities: [3], seed: 0, batch, includeClean: false, ...(split ? { workers: split.workers, overlap: split.overlap } : {}) });
      if (split) src.session = { intraOpThreads: split.intraOpThreads, spinning: split.spinning };
      const t = performance.now();
      await evaluateModel(modelPath, src, { ep: 'cpu', store: new ResultsStore(join(dir, `b${runs++}.jsonl`)) });
      await src.close();
      return n / ((performance.now() - t) / 1000);
    };
    // one unrecorded run first (worker start-up, first-touch of the model), then every split twice, the default
    // (as eval picks it, no split given) among them
    await onTheFlyRun();
    const chosen = onTheFlyCoreSplit();
    const candidates = candidateSplits(availableParallelism());
    if (!candidates.some((c) => sameSplit(c, chosen))) candidates.unshift(chosen);
    const splits = candidates.map((split) => ({ split, imagesPerSecond: 0 }));
    for (let pass = 0; pass < 2; pass++)
      for (const r of splits) r.imagesPerSecond = Math.max(r.imagesPerSecond, await onTheFlyRun(sameSplit(r.split, chosen) ? undefined : r.split));
    for (const r of splits) o.log?.(`  ${splitLabel(r.split)}: ${r.imagesPerSecond.toFixed(0)} img/s`);
    const onTheFly = splits.find((r) => sameSplit(r.split, chosen))?.imagesPerSecond ?? 0;
    o.log?.(`eval with on-the-fly corruption (default split): ${onTheFly.toFixed(0)} img/s`);

    // TF.js inference of the same model, batch 128
    const x = tf.tensor4d(Float32Array.from(set.images.subarray(0, 128 * 3072), (v) => v / 255), [128, 32, 32, 3]);
    tf.tidy(() => m.predict(x) as tf.Tensor).dataSync();
    t0 = performance.now();
    const reps = 4;
    for (let k = 0; k < reps; k++) tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync());
    const tfjsResnet20 = (128 * reps) / ((performance.now() - t0) / 1000);
    x.dispose();
    o.log?.(`TF.js (${backend.name}) resnet20 inference: ${tfjsResnet20.toFixed(0)} img/s`);
    return {
      images: n, batch, runAlone, corruptAlone, bound, cores, fromNpy, onTheFly, ortResnet20: runAlone, tfjsResnet20, tfjsBackend: backend.name, machine: machineLine(machineInfo()),
      split: chosen, splits, load: [load0, loadavg()[0]],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const splitLabel = (s: CoreSplit) => `${s.workers} corruption worker${s.workers > 1 ? 's' : ''}, ${s.intraOpThreads} intra-op thread${s.intraOpThreads > 1 ? 's' : ''}, spinning ${s.spinning ? 'on' : 'off'}, ${s.overlap ? 'overlapped with the session' : 'corrupting while the session waits'}`;
const sameSplit = (a: CoreSplit, b: CoreSplit) => a.workers === b.workers && a.intraOpThreads === b.intraOpThreads && a.spinning === b.spinning && a.overlap === b.overlap;

export function pipelineBenchMarkdown(r: PipelineBench, command: string): string {
  return [
    '# Evaluation pipeline speed',
    '',
    `resnet20 (ReLU, exported with uint8 input), ${r.images} CIFAR-sized images, batch ${r.batch}, onnxruntime CPU provider (all cores), graph optimisation ${DEFAULT_OPT_LEVEL} (the session default).`,
    '',
    `- machine: ${r.machine}`,
    `- load average (1 min) before / after: ${r.load[0].toFixed(2)} / ${r.load[1].toFixed(2)}`,
    `- command: \`${command}\``,
    '',
    '| path | images / s | share of session.run alone |',
    '|---|---:|---:|',
    `| session.run alone (in-memory batches) | ${r.runAlone.toFixed(0)} | 100 % |`,
    `| actbench eval from a CIFAR-C .npy (range reads) | ${r.fromNpy.toFixed(0)} | ${((100 * r.fromNpy) / r.runAlone).toFixed(0)} % |`,
    `| actbench eval with on-the-fly corruption (worker threads; default split: ${splitLabel(r.split)}; its entry in the table below) | ${r.onTheFly.toFixed(0)} | ${((100 * r.onTheFly) / r.runAlone).toFixed(0)} % |`,
    '',
    `session.run alone is the best of three passes. On-the-fly corruption has more work to do than the session alone: corrupting the images (gaussian_noise, severity 3) in one worker thread with nothing else running takes ${r.corruptAlone.toFixed(0)} images/s, so on ${r.cores} cores shared by both the pipeline cannot beat cores / (cores / ${r.runAlone.toFixed(0)} + 1 / ${r.corruptAlone.toFixed(0)}) = **${r.bound.toFixed(0)} images/s** (${((100 * r.bound) / r.runAlone).toFixed(0)} % of session.run alone); the default split reaches **${((100 * r.onTheFly) / r.bound).toFixed(0)} %** of that bound.`,
    '',
    'On-the-fly corruption (gaussian_noise, severity 3) under each split of the cores between corruption workers and onnxruntime (best of two interleaved passes; the default is chosen by eval/cores.ts):',
    '',
    '| split | images / s | share of session.run alone | share of the bound |',
    '|---|---:|---:|---:|',
    ...r.splits.map((x) => `| ${splitLabel(x.split)}${sameSplit(x.split, r.split) ? ' (default)' : ''} | ${x.imagesPerSecond.toFixed(0)} | ${((100 * x.imagesPerSecond) / r.runAlone).toFixed(0)} % | ${((100 * x.imagesPerSecond) / r.bound).toFixed(0)} % |`),
    '',
    '| resnet20 inference | images / s |',
    '|---|---:|',
    `| onnxruntime-node, CPU provider (batch ${r.batch}) | ${r.ortResnet20.toFixed(0)} |`,
    `| TF.js, ${r.tfjsBackend} backend (batch 128) | ${r.tfjsResnet20.toFixed(0)} |`,
    '',
    'On-the-fly corruption shares the cores with onnxruntime’s own threads (split by eval/cores.ts); pre-corrupted files (actbench corrupt, or the released sets) leave them all to the session.',
    '',
  ].join('\n');
}
