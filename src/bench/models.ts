/**
 * `actbench bench MODEL.onnx…`: deployed speed of whole models. Each model runs alone in its turn (its
 * session open only then; creation and first-run time taken in its first turn), the models rotating over
 * rounds so a drifting machine affects all alike. Throughput at several batch sizes, latency
 * percentiles and CV at batch 1; memory per model in a fresh process first (memory.ts: peak RSS, arena
 * growth, GPU memory and device name under CUDA) and the parameter count.
 */
import * as ort from 'onnxruntime-node';
import { quantile, mean, sampleStandardDeviation } from 'simple-statistics';
import { ActbenchError } from '../errors.js';
import { probeClasses, readModelInfo } from '../eval/evaluate.js';
import { packageVersion } from '../onnx/writer.js';
import type { BenchRecord } from '../results/store.js';
import { checkBatches, checkModelContract, inputDims, type ModelContract } from '../runtime/contract.js';
import { createSession, DEFAULT_OPT_LEVEL, type EpName, type OptLevel, type SessionInfo } from '../runtime/session.js';
import { gpuMemoryMiB } from './gpu.js';
import { machineInfo, machineLine } from './machine.js';
import { countParameters, measureMemory, type MemoryChildResult } from './memory.js';

export interface ModelBenchOptions {
  batches?: number[];
  warmup?: number;
  reps?: number;
  ep?: EpName;
  optLevel?: OptLevel;
  threads?: number;
  /** session.intra_op.allow_spinning (default: the session default, DEFAULT_SPINNING) */
  spinning?: boolean;
  /** measure each model's memory in a fresh process before the timing (default true) */
  memory?: boolean;
  /** [C, H, W] for models whose image size is dynamic (checked against static sizes) */
  inputShape?: [number, number, number];
  /** a float input's layout (data/preprocess.ts): nchw (default) or nhwc */
  layout?: 'nchw' | 'nhwc';
  /** rounds of turns (each model alone in its turn, the order rotated): default DEFAULT_ROUNDS, at most reps */
  rounds?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Rounds of turns in benchModels: each a session creation per model, so a few. */
export const DEFAULT_ROUNDS = 5;
/** A turn runs a small batch at least this long (so a 0.2 ms model gets hundreds of timed runs), … */
const MIN_BLOCK_MS = 50;
/** … and at most this many runs. */
const MAX_BLOCK_RUNS = 2000;

/**
 * The input every bench run is fed (fixed, so runs compare). Some kernels' speed depends on the values (the
 * scalar Asin/Atan loops: VeLU's time differs by a quarter between two inputs), so a profile that is set
 * beside a bench's times (bench/deploy.ts) must be fed this same input.
 */
export function benchInput(type: 'float32' | 'uint8', dims: readonly number[]): ort.Tensor {
  const size = dims.reduce((a, b) => a * b, 1);
  return type === 'uint8'
    ? new ort.Tensor('uint8', new Uint8Array(size).map((_, k) => (k * 31) % 256), [...dims])
    : new ort.Tensor('float32', new Float32Array(size).map((_, k) => Math.sin(k)), [...dims]);
}

/** Untimed runs of the first turn at least this long: the first model timed must not pay for a cold process. */
export const PROCESS_WARMUP_MS = 500;

export async function benchModels(paths: string[], o: ModelBenchOptions = {}): Promise<BenchRecord[]> {
  const batches = o.batches ?? [1, 8, 32, 128];
  const warmup = o.warmup ?? 5;
  const reps = o.reps ?? 30;
  const gpuBase = gpuMemoryMiB();
  // the model contract of every model before any session is created
  const checked = paths.map((path) => {
    const info = readModelInfo(path);
    const contract = checkModelContract(info.desc, undefined, o.inputShape, o.layout);
    checkBatches(contract, batches);
    return { path, info, contract };
  });
  const feed = (c: ModelContract, n: number) => benchInput(c.input === 'uint8-nhwc' ? 'uint8' : 'float32', inputDims(c, n));
  const sessionOpts = { ep: o.ep ?? 'auto', optLevel: o.optLevel ?? DEFAULT_OPT_LEVEL, ...(o.threads !== undefined ? { intraOpThreads: o.threads } : {}), ...(o.spinning !== undefined ? { spinning: o.spinning } : {}) } as const;
  // memory first, one fresh process per model, while this process holds no session
  const memory = new Map<string, MemoryChildResult & { parameters: number }>();
  if (o.memory ?? true) {
    for (const { path, contract } of checked) memory.set(path, { ...measureMemory(path, contract, Math.max(...batches), sessionOpts), parameters: countParameters(path) });
  }
  // Each model runs alone: its session exists only for its own block of runs. Sessions left open side by side
  // interfere — an idle session's intra-op threads keep spinning for tens of milliseconds after its run (ORT's
  // spin-wait), taking cores from the next one: on 2 cores six interleaved open sessions read half their
  // alone throughput. The models still take turns in rounds (order rotated), so a drift of the machine's speed
  // spreads over all of them.
  const rounds = Math.max(1, Math.min(reps, o.rounds ?? DEFAULT_ROUNDS));
  const perRound = Math.ceil(reps / rounds);
  const entries = checked.map((c) => ({ ...c, s: undefined as SessionInfo | undefined, createMs: 0, firstRunMs: 0, rssMiB: 0, gpuMiB: undefined as number | undefined, times: new Map(batches.map((b) => [b, [] as number[]])), cpuUs: new Map(batches.map((b) => [b, 0])), roundP50: new Map(batches.map((b) => [b, [] as number[]])) }));
  const feeds = entries.map((e) => new Map(batches.map((n) => [n, feed(e.contract, n)])));
  const total = rounds * entries.length * batches.length;
  let done = 0;
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < entries.length; j++) {
      const k = (j + r) % entries.length; // rotate the order every round
      const e = entries[k];
      const run = (input: ort.Tensor) => (e.s as SessionInfo).session.run({ [e.contract.inputName]: input });
      const rss0 = process.memoryUsage().rss;
      const s = await createSession(e.path, sessionOpts);
      try {
        if (r === 0) {
          e.s = s;
          e.createMs = s.createMs;
          const first = feed(e.contract, e.contract.batch ?? 1);
          const t0 = performance.now();
          try {
            await s.session.run({ [e.contract.inputName]: first });
          } catch (err) {
            throw new ActbenchError('MODEL_RUN_FAILED', `${e.path}: onnxruntime could not run the model on input [${first.dims.join(', ')}]: ${(err as Error).message.split('\n')[0]}`, { file: e.path, field: e.contract.inputName });
          }
          e.firstRunMs = performance.now() - t0;
          await probeClasses(s, e.contract); // the output is [N, K]
          e.rssMiB = (process.memoryUsage().rss - rss0) / 2 ** 20;
          e.gpuMiB = gpuBase === undefined ? undefined : (gpuMemoryMiB() ?? gpuBase) - gpuBase;
        }
        e.s = s;
        for (const b of batches) {
          const input = feeds[k].get(b) as ort.Tensor;
          // warm-up in every block (a fresh session's first runs allocate); its last run sizes the block
          let last = 0;
          // the very first turn also warms the process (heap growth, page faults of fresh output buffers)
          const until = performance.now() + (r === 0 && j === 0 ? PROCESS_WARMUP_MS : 0);
          for (let i = 0; i < (r === 0 ? warmup : Math.min(warmup, 2)) || last === 0 || performance.now() < until; i++) {
            const t0 = performance.now();
            await run(input);
            last = performance.now() - t0;
          }
          // small batches run more often per block, so their quantiles rest on enough runs
          const n = Math.min(MAX_BLOCK_RUNS, Math.max(perRound, Math.ceil(MIN_BLOCK_MS / Math.max(last, 1e-3))));
          const t = e.times.get(b) as number[];
          const cpu0 = process.cpuUsage();
          const from = t.length;
          for (let i = 0; i < n; i++) {
            const t0 = process.hrtime.bigint();
            await run(input);
            t.push(Number(process.hrtime.bigint() - t0) / 1e6);
          }
          const cpu = process.cpuUsage(cpu0);
          e.cpuUs.set(b, (e.cpuUs.get(b) as number) + cpu.user + cpu.system);
          (e.roundP50.get(b) as number[]).push(quantile(t.slice(from), 0.5));
          o.onProgress?.(++done, total);
        }
      } finally {
        await s.session.release();
      }
    }
  }
  const prov = { actbench: packageVersion(), machine: machineLine(machineInfo()), time: new Date().toISOString() };
  const records: BenchRecord[] = [];
  for (const e of entries) {
    const info = e.s as SessionInfo; // the last turn's session (released): its settings and provider
    const mem = memory.get(e.path);
    const gpu = mem?.gpu && 'name' in mem.gpu ? mem.gpu : undefined;
    for (const b of batches) {
      const t = e.times.get(b) as number[];
      const m = mean(t);
      records.push({
        kind: 'bench', model: e.path, modelHash: e.info.hash, activation: e.info.activation, batch: b,
        imagesPerSecond: (b * 1000) / quantile(t, 0.5),
        latencyMs: { p50: quantile(t, 0.5), p90: quantile(t, 0.9), p99: quantile(t, 0.99), mean: m, cv: t.length > 1 ? sampleStandardDeviation(t) / m : 0 },
        sessionCreateMs: e.createMs, firstRunMs: e.firstRunMs, rssMiB: e.rssMiB,
        cpuMsPerImage: (e.cpuUs.get(b) as number) / 1000 / (b * t.length),
        roundP50Ms: e.roundP50.get(b) as number[],
        ...(gpu ? { gpuMemoryMiB: gpu.memoryMiB, gpuName: gpu.name } : e.gpuMiB !== undefined ? { gpuMemoryMiB: e.gpuMiB } : {}),
        ...(mem ? { peakRssMiB: mem.peakRssMiB, baseRssMiB: mem.baseRssMiB, arenaGrowthMiB: mem.arenaGrowthMiB, parameters: mem.parameters } : {}),
        ...(mem?.gpu && 'error' in mem.gpu ? { gpuMemoryNote: mem.gpu.error } : {}),
        warmup, reps: t.length, provider: info.actualEp, requestedProvider: info.requestedEp, ...(info.fallbackReason ? { fallbackReason: info.fallbackReason } : {}),
        optLevel: info.optLevel, ...(info.disabledOptimizers.length ? { disabledOptimizers: info.disabledOptimizers } : {}), spinning: info.spinning, intraOpThreads: info.intraOpThreads, onnxruntime: info.ortVersion, provenance: prov,
      });
    }
  }
  return records;
}
