/**
 * The one place that creates onnxruntime-node sessions.
 *
 * onnxruntime-node rejects session creation when the CUDA provider library is missing instead of
 * falling back (onnx.md §2.4), so `auto` tries CUDA and then creates a CPU session itself, and every
 * session records the provider that was asked for and the one that actually runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ActbenchError } from '../errors.js';
import type { ExportTarget } from '../acts/onnx.js';
import { decodeModel } from '../onnx/writer.js';

export type EpName = 'auto' | 'cuda' | 'webgpu' | 'cpu';
export type OptLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionOptions {
  ep?: EpName;
  deviceId?: number;
  intraOpThreads?: number;
  interOpThreads?: number;
  /**
   * default 'all' (DEFAULT_OPT_LEVEL): NCHWc layout and Conv+activation fusion make it 1.6× 'basic' on
   * ResNet-20; it also fuses some activation patterns (x·σ(x) → QuickGelu), so 'basic' stays available
   */
  optLevel?: OptLevel;
  /** spin-waiting intra-op threads (default DEFAULT_SPINNING; onnxruntime's own default is on); recorded with every result */
  spinning?: boolean;
  /** fail instead of placing any node on the CPU under a GPU provider */
  disableCpuFallback?: boolean;
  /** write onnxruntime's per-node trace to `<prefix>_<timestamp>.json` at `session.endProfiling()` */
  profileFilePrefix?: string;
}

export interface SessionInfo {
  session: ort.InferenceSession;
  requestedEp: EpName;
  actualEp: 'cuda' | 'webgpu' | 'cpu';
  /** why actualEp differs from the request (the provider's own error message) */
  fallbackReason?: string;
  optLevel: OptLevel;
  /** optimizers switched off for this model (SkipLayerNormFusion where the model has the crash pattern) */
  disabledOptimizers: string[];
  /** the settings the session runs with (the defaults filled in) */
  spinning: boolean;
  intraOpThreads: number;
  interOpThreads?: number;
  createMs: number;
  ortVersion: string;
}

const EPS: readonly EpName[] = ['auto', 'cuda', 'webgpu', 'cpu'];

export const EP_NAMES = EPS;
export const OPT_LEVELS: readonly OptLevel[] = ['disabled', 'basic', 'extended', 'all'];

export function parseEp(v: string): EpName {
  if (!(EPS as readonly string[]).includes(v)) {
    throw new ActbenchError('RUNTIME_BAD_EP', `--ep must be one of ${EPS.join(', ')}, got '${v}'`, { field: 'ep' });
  }
  return v as EpName;
}

export const DEFAULT_OPT_LEVEL: OptLevel = 'all';

/**
 * Thread defaults: one intra-op thread per available core, spin-waiting on (onnxruntime's own default,
 * explicit and recorded in every bench and eval record). Measured by the settings sweep of `npm run bench
 * -- deploy` (ResNet-20, each configuration and model alone in its turn, 3 rounds; 2-core Zen 4 VM,
 * 2026-12-08, three runs): two threads beat one at batch 128 (1.8–2.0×) and at batch 1 for ReLU; without
 * spinning, batch 1 is 1.3–1.7× slower for ReLU (0.69–0.72 vs 0.41–0.56 ms) and up to 1.45× for LayerAct
 * (a thread wake-up per node), while batch 128 moves within ±8 % either way. (An earlier sweep that favoured no
 * spinning at batch 128 ran the sessions side by side, whose idle spinning threads took each other's
 * cores: bench/models.ts.) Eval with on-the-fly corruption keeps spinning on too, from its own
 * measurements (eval/cores.ts).
 */
export const DEFAULT_SPINNING = true;
export function defaultIntraOpThreads(): number {
  return Math.max(1, availableParallelism());
}

/**
 * onnxruntime 1.30 segfaults while creating a session at 'extended'/'all' when a LayerNormalization with
 * an explicit empty bias input ('') reads the output of an Add (SkipLayerNormFusion). Our exporter never
 * writes that pattern; models users bring may have it, and then that one fusion is switched off.
 */
export function hasSkipLayerNormCrashPattern(model: string | Uint8Array): boolean {
  let graph;
  try {
    graph = decodeModel(typeof model === 'string' ? readFileSync(model) : model).graph;
  } catch {
    return false; // onnxruntime reports an unreadable model itself
  }
  const nodes = graph?.node ?? [];
  const addOutputs = new Set(nodes.filter((n) => n.opType === 'Add').flatMap((n) => n.output ?? []));
  return nodes.some((n) => {
    const ins = n.input ?? [];
    return n.opType === 'LayerNormalization' && ins.length >= 3 && ins[2] === '' && addOutputs.has(ins[0]);
  });
}

function baseOptions(o: SessionOptions, disabledOptimizers: string[]): ort.InferenceSession.SessionOptions {
  // onnxruntime-node throws on keys whose value is undefined: only set what was given
  const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: o.optLevel ?? DEFAULT_OPT_LEVEL, intraOpNumThreads: o.intraOpThreads ?? defaultIntraOpThreads() };
  if (o.interOpThreads !== undefined) opts.interOpNumThreads = o.interOpThreads;
  if (o.profileFilePrefix !== undefined) {
    opts.enableProfiling = true;
    opts.profileFilePrefix = o.profileFilePrefix;
  }
  // `extra` becomes onnxruntime session config entries ('session.…', 'optimization.…')
  const session: Record<string, string> = {};
  if (o.disableCpuFallback) session.disable_cpu_ep_fallback = '1';
  session['intra_op.allow_spinning'] = (o.spinning ?? DEFAULT_SPINNING) ? '1' : '0';
  const extra: Record<string, Record<string, string>> = {};
  if (Object.keys(session).length) extra.session = session;
  if (disabledOptimizers.length) extra.optimization = { disable_specified_optimizers: disabledOptimizers.join(',') };
  if (Object.keys(extra).length) opts.extra = extra;
  return opts;
}

/**
 * Whether onnxruntime-node's CUDA provider library is installed (it is downloaded by the package's install
 * script with ONNXRUNTIME_NODE_INSTALL=cuda12, not shipped). Checking first avoids a failing load that
 * onnxruntime logs as an error for every session.
 */
export function cudaProviderInstalled(): boolean {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return existsSync(join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/**
 * The export target whose lowerings suit the provider a model will run on here: `cuda` when CUDA is asked
 * for (or `auto` with the CUDA provider installed: a session that then falls back to the CPU runs the
 * CUDA-safe graph, slower but the same function), `cpu` for the CPU provider, `any` for WebGPU.
 */
export function exportTargetForEp(ep: EpName): ExportTarget {
  if (ep === 'cuda' || (ep === 'auto' && cudaProviderInstalled())) return 'cuda';
  return ep === 'webgpu' ? 'any' : 'cpu';
}

const warned = new Set<string>();
function warnOnce(msg: string): void {
  if (warned.has(msg)) return;
  warned.add(msg);
  process.emitWarning(msg, { code: 'ACTBENCH_EP_FALLBACK' });
}

async function tryCreate(
  model: string | Uint8Array,
  opts: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession> {
  try {
    return await (typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts));
  } catch (e) {
    const what = typeof model === 'string' ? model : 'the model';
    throw new ActbenchError('RUNTIME_SESSION_FAILED', `onnxruntime cannot load ${what}: ${(e as Error).message.split('\n')[0]}`, { ...(typeof model === 'string' ? { file: model } : {}), field: 'model' });
  }
}

export async function createSession(model: string | Uint8Array, o: SessionOptions = {}): Promise<SessionInfo> {
  const requestedEp = o.ep ?? 'auto';
  const level = o.optLevel ?? DEFAULT_OPT_LEVEL;
  const disabledOptimizers = level === 'extended' || level === 'all' ? (hasSkipLayerNormCrashPattern(model) ? ['SkipLayerNormFusion'] : []) : [];
  const base = baseOptions(o, disabledOptimizers);
  const t0 = performance.now();
  const done = (session: ort.InferenceSession, actualEp: SessionInfo['actualEp'], fallbackReason?: string): SessionInfo => ({
    session,
    requestedEp,
    actualEp,
    fallbackReason,
    optLevel: level,
    disabledOptimizers,
    spinning: o.spinning ?? DEFAULT_SPINNING,
    intraOpThreads: o.intraOpThreads ?? defaultIntraOpThreads(),
    interOpThreads: o.interOpThreads,
    createMs: performance.now() - t0,
    ortVersion: ort.env.versions.node ?? ort.env.versions.common,
  });

  if (requestedEp === 'cpu') return done(await tryCreate(model, { ...base, executionProviders: ['cpu'] }), 'cpu');

  const gpu = requestedEp === 'webgpu' ? 'webgpu' : 'cuda';
  const provider = gpu === 'cuda' ? { name: 'cuda', deviceId: o.deviceId ?? 0 } : 'webgpu';
  let reason: string;
  if (gpu === 'cuda' && !cudaProviderInstalled()) {
    reason = 'cuda provider unavailable: onnxruntime-node was installed without its CUDA provider (ONNXRUNTIME_NODE_INSTALL=cuda12 npm install)';
  } else {
    try {
      return done(await tryCreate(model, { ...base, executionProviders: [provider] }), gpu);
    } catch (e) {
      reason = `${gpu} provider unavailable: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  if (o.disableCpuFallback) throw new ActbenchError('RUNTIME_EP_UNAVAILABLE', `${reason}; CPU fallback is disabled`, { field: 'ep' });
  warnOnce(`${reason} — running on the CPU execution provider`);
  return done(await tryCreate(model, { ...base, executionProviders: ['cpu'] }), 'cpu', reason);
}

/** Run a single-input, single-output model on a float32 tensor. */
export async function runOnce(session: ort.InferenceSession, data: Float32Array, dims: readonly number[]): Promise<Float32Array> {
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
  const out = await session.run(feeds);
  return out[session.outputNames[0]].data as Float32Array;
}
