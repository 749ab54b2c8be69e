/** `actbench bench`: parse flags, call api/bench.ts (benchmark in turns, store), print. */
import type { Command } from 'commander';
import { runBench } from '../api/bench.js';
import { LAYOUTS, type Layout } from '../data/preprocess.js';
import { DEFAULT_OPT_LEVEL, EP_NAMES, OPT_LEVELS, type EpName, type OptLevel } from '../runtime/session.js';
import { progressBar, table } from './output.js';
import { choice, intList, positiveInt, shape } from './parse-flags.js';

export function registerBench(program: Command): void {
  program
    .command('bench <models...>')
    .description('throughput per batch size, latency percentiles, session-creation and first-run time, memory; each model alone in its turn, rotated over rounds')
    .option('--batches <list>', 'batch sizes', intList('--batches'), [1, 8, 32, 128])
    .option('--warmup <n>', 'warm-up runs per batch size', positiveInt('--warmup'), 5)
    .option('--reps <n>', 'timed runs per batch size', positiveInt('--reps'), 30)
    .option('--ep <name>', 'auto | cuda | webgpu | cpu', choice('--ep', EP_NAMES), 'auto')
    .option('--opt-level <level>', 'disabled | basic | extended | all', choice('--opt-level', OPT_LEVELS), DEFAULT_OPT_LEVEL)
    .option('--threads <n>', 'intra-op threads', positiveInt('--threads'))
    .option('--input-shape <c,h,w>', 'image size C,H,W for models whose input dimensions are dynamic', shape('--input-shape', 3))
    .option('--layout <l>', `float input layout: ${LAYOUTS.join(' | ')} (PyTorch nchw, Keras nhwc)`, choice('--layout', LAYOUTS))
    .option('--results <file>', 'results store (JSON lines)', 'reports/results.jsonl')
    .option('--json', 'print the stored records as JSON on stdout (the table and notes go to stderr)')
    .action(async (models: string[], f: { batches: number[]; warmup: number; reps: number; ep: EpName; optLevel: OptLevel; threads?: number; inputShape?: number[]; layout?: Layout; results: string; json?: boolean }) => {
      const bar = progressBar('bench |{bar}| {value}/{total} runs');
      let started = false;
      let result;
      try {
        result = await runBench(models, {
          results: f.results, log: (l) => console.error(`actbench: ${l}`),
          batches: f.batches, warmup: f.warmup, reps: f.reps, ep: f.ep, optLevel: f.optLevel, threads: f.threads, inputShape: f.inputShape as [number, number, number] | undefined, layout: f.layout,
          onProgress: (d, t) => {
            if (!started) bar.start(t, 0);
            started = true;
            bar.update(d);
          },
        });
      } finally {
        bar.stop();
      }
      const { records } = result;
      // with --json, stdout carries only the JSON; the human summary goes to stderr
      const say = f.json ? (l: string) => console.error(l) : (l: string) => console.log(l);
      if (f.json) console.log(JSON.stringify({ results: f.results, records }, null, 2));
      const t = table(['model', 'activation', 'batch', 'img/s', 'p50 ms', 'p90 ms', 'p99 ms', 'CV', 'CPU ms/img', 'create ms', 'first run ms', 'peak MiB', 'params', 'provider']);
      for (const r of records) {
        t.push([r.model, r.activation ?? '–', r.batch, r.imagesPerSecond.toFixed(0), r.latencyMs.p50.toFixed(3), r.latencyMs.p90.toFixed(3), r.latencyMs.p99.toFixed(3), r.latencyMs.cv.toFixed(2), r.cpuMsPerImage?.toFixed(3) ?? '–', r.sessionCreateMs.toFixed(1), r.firstRunMs.toFixed(1), (r.peakRssMiB ?? r.rssMiB).toFixed(0), r.parameters?.toLocaleString('en') ?? '–', r.provider + (r.fallbackReason ? ' (fallback)' : '')]);
      }
      say(t.toString());
      if (records[0]?.fallbackReason) say(`requested ${records[0].requestedProvider}: ${records[0].fallbackReason}`);
      say(`results: ${f.results} (graph optimisation ${f.optLevel}, ${records[0]?.intraOpThreads} intra-op threads, spinning ${records[0]?.spinning ? 'on' : 'off'}, onnxruntime ${records[0]?.onnxruntime}; peak MiB: a fresh process per model, session + largest batch)`);
    });
}
