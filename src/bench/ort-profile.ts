/**
 * Per-node time from onnxruntime's own profiler (session option enableProfiling; the trace is Chrome
 * trace-event JSON written by `endProfiling()`): where a model's time goes, by op type.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { median } from 'simple-statistics';
import { ActbenchError } from '../errors.js';
import { createSession, type SessionOptions } from '../runtime/session.js';

export interface OpTime {
  /** op type as onnxruntime ran it (after fusion: e.g. FusedConv, com.microsoft LayerNormalization kernels) */
  op: string;
  provider: string;
  /** kernel time per model run, ms */
  ms: number;
  /** fraction of all kernel time */
  share: number;
  /** kernel invocations per model run */
  nodes: number;
}

export interface OrtProfile {
  /** model runs in the trace */
  runs: number;
  /** kernel time per run, ms (sum over nodes) */
  kernelMs: number;
  /** wall time per run as onnxruntime measured it, ms */
  runMs: number;
  ops: OpTime[];
  /** largest CPU arena held during the runs, MiB (from the node events) */
  arenaHeldMiB: number | null;
}

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; provider?: string; mem_arena_held?: string };
}

/** Parse a trace `endProfiling()` wrote. `skipRuns` leading model runs are left out (warm-up). */
export function parseOrtProfile(text: string, o: { skipRuns?: number; file?: string } = {}): OrtProfile {
  let events: TraceEvent[];
  try {
    events = JSON.parse(text) as TraceEvent[];
  } catch (e) {
    throw new ActbenchError('BENCH_BAD_PROFILE', `${o.file ?? 'the profile'} is not JSON: ${(e as Error).message}`, { ...(o.file ? { file: o.file } : {}) });
  }
  if (!Array.isArray(events)) throw new ActbenchError('BENCH_BAD_PROFILE', `${o.file ?? 'the profile'} is not an onnxruntime trace (expected a JSON array of events)`, { ...(o.file ? { file: o.file } : {}) });
  const skip = o.skipRuns ?? 0;
  // node events follow their run's model_run event in time order; attribute each to the run it belongs to
  let run = -1;
  const byOp = new Map<string, { provider: string; us: number; nodes: number }>();
  let runUs = 0;
  let arena = -1;
  const sorted = events.filter((e) => e && typeof e === 'object').sort((a, b) => ((a as { ts?: number }).ts ?? 0) - ((b as { ts?: number }).ts ?? 0));
  // model_run events are emitted at the end of each run (ts = its start), so sort by start time
  for (const e of sorted) {
    if (e.cat === 'Session' && e.name === 'model_run') {
      run++;
      if (run >= skip) runUs += e.dur ?? 0;
      continue;
    }
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || run + 1 <= skip) continue;
    const op = e.args?.op_name ?? '?';
    const cur = byOp.get(op) ?? { provider: e.args?.provider ?? '?', us: 0, nodes: 0 };
    cur.us += e.dur ?? 0;
    cur.nodes++;
    byOp.set(op, cur);
    const held = Number(e.args?.mem_arena_held);
    if (Number.isFinite(held)) arena = Math.max(arena, held);
  }
  const runs = run + 1 - skip;
  if (runs <= 0) throw new ActbenchError('BENCH_BAD_PROFILE', `${o.file ?? 'the profile'} has ${run + 1} model run(s), fewer than the ${skip + 1} needed`, { ...(o.file ? { file: o.file } : {}) });
  const totalUs = [...byOp.values()].reduce((a, v) => a + v.us, 0);
  const ops = [...byOp.entries()]
    .map(([op, v]) => ({ op, provider: v.provider, ms: v.us / 1000 / runs, share: totalUs > 0 ? v.us / totalUs : 0, nodes: v.nodes / runs }))
    .sort((a, b) => b.ms - a.ms);
  return { runs, kernelMs: totalUs / 1000 / runs, runMs: runUs / 1000 / runs, ops, arenaHeldMiB: arena >= 0 ? arena / 2 ** 20 : null };
}

/** Profile `runs` runs of one input (after `warmup` unprofiled-in-the-result runs) and parse the trace. */
export async function profileModel(path: string, feed: Record<string, ort.Tensor>, o: { runs?: number; warmup?: number; session?: SessionOptions } = {}): Promise<OrtProfile> {
  return (await profileModels([path], feed, o))[0];
}

/**
 * Profile several models on one input in turns: each model alone in its turn (its session open only then,
 * as bench/models.ts times them: an idle session's spinning threads would slow the next one's kernels), the
 * order rotated over the rounds, so profiles that are compared with each other see the same machine state.
 * Each turn's trace (after `warmup` runs) is merged into the model's profile.
 */
export async function profileModels(paths: readonly string[], feed: Record<string, ort.Tensor>, o: { runs?: number; warmup?: number; rounds?: number; session?: SessionOptions } = {}): Promise<OrtProfile[]> {
  const dir = mkdtempSync(join(tmpdir(), 'actbench-profile-'));
  const runs = o.runs ?? 5;
  const rounds = Math.max(1, Math.min(runs, o.rounds ?? 5));
  const warmup = o.warmup ?? 2;
  const traces: OrtProfile[][] = paths.map(() => []);
  try {
    for (let r = 0; r < rounds; r++) {
      // this round's share of the runs (the first rounds take the remainder)
      const n = Math.floor(runs / rounds) + (r < runs % rounds ? 1 : 0);
      for (let j = 0; j < paths.length; j++) {
        const k = (j + r) % paths.length;
        const prefix = join(dir, `m${k}r${r}`);
        const s = (await createSession(paths[k], { ...o.session, profileFilePrefix: prefix })).session;
        try {
          for (let i = 0; i < warmup + n; i++) await s.run(feed);
          s.endProfiling();
        } finally {
          await s.release();
        }
        const file = readdirSync(dir).find((f) => f.startsWith(`m${k}r${r}_`) && f.endsWith('.json'));
        if (!file) throw new ActbenchError('BENCH_BAD_PROFILE', `onnxruntime wrote no profile for ${paths[k]}`, { file: paths[k] });
        traces[k].push(parseOrtProfile(readFileSync(join(dir, file), 'utf8'), { skipRuns: warmup, file: paths[k] }));
      }
    }
    return traces.map(mergeProfiles);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One profile from several turns of the same model: per op type the median over the turns of its time per
 * run (0 in a turn without it), so one turn slowed by the machine does not move the profile — as the bench
 * reports medians of its runs.
 */
export function mergeProfiles(ps: readonly OrtProfile[]): OrtProfile {
  const runs = ps.reduce((a, p) => a + p.runs, 0);
  const byOp = new Map<string, { provider: string; ms: number; nodes: number }>();
  for (const op of new Set(ps.flatMap((p) => p.ops.map((o) => o.op)))) {
    const inTurn = ps.map((p) => p.ops.find((o) => o.op === op));
    const provider = inTurn.find((o) => o !== undefined)?.provider ?? '';
    byOp.set(op, { provider, ms: median(inTurn.map((o) => o?.ms ?? 0)), nodes: median(inTurn.map((o) => o?.nodes ?? 0)) });
  }
  const kernelMs = [...byOp.values()].reduce((a, v) => a + v.ms, 0);
  const held = ps.map((p) => p.arenaHeldMiB).filter((v): v is number => v !== null);
  return {
    runs,
    kernelMs,
    runMs: median(ps.map((p) => p.runMs)),
    ops: [...byOp.entries()].map(([op, v]) => ({ op, provider: v.provider, ms: v.ms, share: kernelMs > 0 ? v.ms / kernelMs : 0, nodes: v.nodes })).sort((a, b) => b.ms - a.ms),
    arenaHeldMiB: held.length ? Math.max(...held) : null,
  };
}

export interface ProfileFloor {
  /** the model's kernel time over the baseline's, from the two profiles */
  ratio: number;
  /**
   * the least ratio a lowering could reach with these kernels: the model's own time in the op types it
   * shares with the baseline (convolutions, pools, the head) and in the nodes the function needs (with
   * `reorders`, all its NCHWc layout reorders; else no more reorder time than the baseline's), over the
   * baseline's kernel time — what is left if every other node of the model cost nothing
   */
  floor: number;
  /** time of the needed nodes (and the reorders counted as needed), ms per run */
  neededMs: number;
  /** time of the model's other nodes, ms per run: all a better lowering could win */
  reducibleMs: number;
}

const msOf = (p: OrtProfile, ops: readonly string[]) => p.ops.filter((o) => ops.includes(o.op)).reduce((a, o) => a + o.ms, 0);
const REORDERS = ['ReorderInput', 'ReorderOutput'];

/**
 * How far a model's profiled time is from the floor its function sets on this runtime. `needed` are the op
 * types the function cannot do without; `baselineActivation` the baseline's activation op types (not shared
 * work). Both profiles should come from one profiling run (profileModels, models in turns).
 */
export function profileFloor(model: OrtProfile, baseline: OrtProfile, o: { needed: readonly string[]; reorders: boolean; baselineActivation: readonly string[] }): ProfileFloor {
  const shared = baseline.ops.map((x) => x.op).filter((op) => !REORDERS.includes(op) && !o.baselineActivation.includes(op) && !o.needed.includes(op));
  const reorders = msOf(model, REORDERS);
  const neededMs = msOf(model, o.needed) + (o.reorders ? reorders : 0);
  const kept = msOf(model, shared) + neededMs + (o.reorders ? 0 : Math.min(reorders, msOf(baseline, REORDERS)));
  return { ratio: model.kernelMs / baseline.kernelMs, floor: kept / baseline.kernelMs, neededMs, reducibleMs: model.kernelMs - kept };
}
