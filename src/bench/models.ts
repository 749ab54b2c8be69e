/**
 * `actbench bench MODEL.onnx…`: deployed speed of whole models. All sessions are created first (creation
 * and first-run time measured separately), then warm-up, then repetitions interleaved model by model and
 * batch by batch so a drifting machine affects all alike. Throughput at several batch sizes, latency
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
  onProgress?: (done: number, total: number) => void;
}

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
  const feed = (c: ModelContract, n: number) => {
    const dims = inputDims(c, n);
    const size = dims.reduce((a, b) => a * b, 1);
    return c.input === 'uint8-nhwc'
      ? new ort.Tensor('uint8', new Uint8Array(size).map((_, k) => (k * 31) % 256), dims)
      : new ort.Tensor('float32', new Float32Array(size).map((_, k) => Math.sin(k)), dims);
  };
  const sessionOpts = { ep: o.ep ?? 'auto', optLevel: o.optLevel ?? DEFAULT_OPT_LEVEL, ...(o.threads !== undefined ? { intraOpThreads: o.threads } : {}), ...(o.spinning !== undefined ? { spinning: o.spinning } : {}) } as const;
  // memory first, one fresh process per model, while this process holds no session
  const memory = new Map<string, MemoryChildResult & { parameters: number }>();
  if (o.memory ?? true) {
    for (const { path, contract } of checked) memory.set(path, { ...measureMemory(path, contract, Math.max(...batches), sessionOpts), parameters: countParameters(path) });
  }
  const entries: { path: string; info: ReturnType<typeof readModelInfo>; contract: ModelContract; s: SessionInfo; firstRunMs: number; rssMiB: number; gpuMiB?: number; times: Map<number, number[]> }[] = [];
  for (const { path, info, contract } of checked) {
    const rss0 = process.memoryUsage().rss;
    const s = await createSession(path, sessionOpts);
    const first = feed(contract, contract.batch ?? 1);
    const t0 = performance.now();
    try {
      await s.session.run({ [contract.inputName]: first });
    } catch (e) {
      throw new ActbenchError('MODEL_RUN_FAILED', `${path}: onnxruntime could not run the model on input [${first.dims.join(', ')}]: ${(e as Error).message.split('\n')[0]}`, { file: path, field: contract.inputName });
    }
    const firstRunMs = performance.now() - t0;
    await probeClasses(s, contract); // the output is [N, K]
    entries.push({ path, info, contract, s, firstRunMs, rssMiB: (process.memoryUsage().rss - rss0) / 2 ** 20, gpuMiB: gpuBase === undefined ? undefined : (gpuMemoryMiB() ?? gpuBase) - gpuBase, times: new Map(batches.map((b) => [b, []])) });
  }
  const feeds = entries.map((e) => new Map(batches.map((n) => [n, feed(e.contract, n)])));
  for (const [k, e] of entries.entries()) for (const b of batches) for (let i = 0; i < warmup; i++) await e.s.session.run({ [e.contract.inputName]: feeds[k].get(b) as ort.Tensor });
  const total = reps * entries.length * batches.length;
  let done = 0;
  for (let r = 0; r < reps; r++) {
    for (let j = 0; j < entries.length; j++) {
      const k = (j + r) % entries.length; // rotate the order every round
      const e = entries[k];
      for (const b of batches) {
        const t0 = process.hrtime.bigint();
        await e.s.session.run({ [e.contract.inputName]: feeds[k].get(b) as ort.Tensor });
        e.times.get(b)?.push(Number(process.hrtime.bigint() - t0) / 1e6);
        o.onProgress?.(++done, total);
      }
    }
  }
  const prov = { actbench: packageVersion(), machine: machineLine(machineInfo()), time: new Date().toISOString() };
  const records: BenchRecord[] = [];
  for (const e of entries) {
    const mem = memory.get(e.path);
    const gpu = mem?.gpu && 'name' in mem.gpu ? mem.gpu : undefined;
    for (const b of batches) {
      const t = e.times.get(b) as number[];
      const m = mean(t);
      records.push({
        kind: 'bench', model: e.path, modelHash: e.info.hash, activation: e.info.activation, batch: b,
        imagesPerSecond: (b * 1000) / quantile(t, 0.5),
        latencyMs: { p50: quantile(t, 0.5), p90: quantile(t, 0.9), p99: quantile(t, 0.99), mean: m, cv: t.length > 1 ? sampleStandardDeviation(t) / m : 0 },
        sessionCreateMs: e.s.createMs, firstRunMs: e.firstRunMs, rssMiB: e.rssMiB,
        ...(gpu ? { gpuMemoryMiB: gpu.memoryMiB, gpuName: gpu.name } : e.gpuMiB !== undefined ? { gpuMemoryMiB: e.gpuMiB } : {}),
        ...(mem ? { peakRssMiB: mem.peakRssMiB, baseRssMiB: mem.baseRssMiB, arenaGrowthMiB: mem.arenaGrowthMiB, parameters: mem.parameters } : {}),
        ...(mem?.gpu && 'error' in mem.gpu ? { gpuMemoryNote: mem.gpu.error } : {}),
        warmup, reps, provider: e.s.actualEp, requestedProvider: e.s.requestedEp, ...(e.s.fallbackReason ? { fallbackReason: e.s.fallbackReason } : {}),
        optLevel: e.s.optLevel, ...(e.s.disabledOptimizers.length ? { disabledOptimizers: e.s.disabledOptimizers } : {}), spinning: e.s.spinning, intraOpThreads: e.s.intraOpThreads, onnxruntime: e.s.ortVersion, provenance: prov,
      });
    }
    await e.s.session.release();
  }
  return records;
}
