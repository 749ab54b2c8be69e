/**
 * Cost of each activation alone once deployed: onnxruntime latency of the standalone activation graph on
 * one tensor, and its node count, relative to ReLU. The activations take turns (the order rotated every
 * turn), each alone: its session is open only for its turn, since an idle session's spinning threads take
 * the cores of the next one (bench/models.ts); a drifting machine still affects every activation alike.
 */
import * as ort from 'onnxruntime-node';
import { quantile } from 'simple-statistics';
import { CATALOGUE } from '../acts/catalogue.js';
import { resolveActivation } from '../acts/define.js';
import { lowerActivation } from '../acts/onnx.js';
import { activationModel } from '../onnx/activation-model.js';
import { SUPPORTED_OPSETS } from '../onnx/opsets.js';
import { PROCESS_WARMUP_MS } from './models.js';
import { createSession, type EpName, type OptLevel } from '../runtime/session.js';
import { machineInfo, machineLine, type MachineInfo } from './machine.js';

export interface ActivationBenchOptions {
  shape?: number[];
  rounds?: number;
  warmup?: number;
  opset?: number;
  ep?: EpName;
  optLevel?: OptLevel;
  threads?: number;
  activations?: string[];
  onProgress?: (done: number, total: number) => void;
}

export interface ActivationBenchRow {
  name: string;
  variant: 'cuda-safe' | 'native';
  nodes: number;
  p50ms: number;
  p90ms: number;
  minMs: number;
  relToRelu: number;
}

export interface ActivationBenchResult {
  rows: ActivationBenchRow[];
  shape: number[];
  rounds: number;
  warmup: number;
  opset: number;
  provider: string;
  optLevel: OptLevel;
  threads?: number;
  machine: MachineInfo;
}

/** Turns per activation (each a fresh session). */
const TURNS = 5;

export async function benchActivations(o: ActivationBenchOptions = {}): Promise<ActivationBenchResult> {
  const shape = o.shape ?? [128, 64, 16, 16];
  const rounds = o.rounds ?? 20;
  const warmup = o.warmup ?? 3;
  const opset = o.opset ?? SUPPORTED_OPSETS.default;
  const names = o.activations ?? CATALOGUE.map((e) => e.name);
  const n = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, (_, k) => Math.sin(k * 12.9898) * 4);
  const feeds = { X: new ort.Tensor('float32', x, shape) };

  interface Entry { name: string; variant: ActivationBenchRow['variant']; nodes: number; model: Uint8Array; times: number[] }
  const entries: Entry[] = [];
  for (const name of names) {
    const def = resolveActivation(name);
    for (const variant of ['cuda-safe', 'native'] as const) {
      const cudaSafe = variant === 'cuda-safe';
      const nodes = lowerActivation(def, { opset, layout: 'NCHW', featureShape: shape.slice(1), input: 'X', output: 'Y', cudaSafe }).nodes.length;
      // the native graph is only a separate row where the lowering differs
      if (!cudaSafe && entries.at(-1)?.name === name && entries.at(-1)?.nodes === nodes) {
        const prev = activationModel(def, { shape, opset, cudaSafe: true });
        const cur = activationModel(def, { shape, opset, cudaSafe: false });
        if (Buffer.from(prev).equals(Buffer.from(cur))) continue;
      }
      entries.push({ name, variant, nodes, model: activationModel(def, { shape, opset, cudaSafe }), times: [] });
    }
  }
  const sessionOpts = { ep: o.ep ?? 'cpu', optLevel: o.optLevel ?? 'basic', ...(o.threads !== undefined ? { intraOpThreads: o.threads } : {}) } as const;
  // `rounds` timed runs per activation, in a few turns (each a session creation and its warm-up)
  const turns = Math.max(1, Math.min(rounds, TURNS));
  const total = turns * entries.length;
  let provider = 'cpu';
  for (let t = 0; t < turns; t++) {
    const n = Math.floor(rounds / turns) + (t < rounds % turns ? 1 : 0);
    for (let k = 0; k < entries.length; k++) {
      const e = entries[(k + t) % entries.length];
      const s = await createSession(e.model, sessionOpts);
      provider = s.actualEp;
      try {
        // the very first turn also warms the process (as bench/models.ts does)
        const until = performance.now() + (t === 0 && k === 0 ? PROCESS_WARMUP_MS : 0);
        for (let i = 0; i < warmup || performance.now() < until; i++) await s.session.run(feeds);
        for (let i = 0; i < n; i++) {
          const t0 = process.hrtime.bigint();
          await s.session.run(feeds);
          e.times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      } finally {
        await s.session.release();
      }
      o.onProgress?.(t * entries.length + k + 1, total);
    }
  }
  const relu = entries.find((e) => e.name === 'relu');
  const reluP50 = relu ? quantile(relu.times, 0.5) : NaN;
  const rows = entries.map((e) => ({
    name: e.name,
    variant: e.variant,
    nodes: e.nodes,
    p50ms: quantile(e.times, 0.5),
    p90ms: quantile(e.times, 0.9),
    minMs: Math.min(...e.times),
    relToRelu: quantile(e.times, 0.5) / reluP50,
  }));
  return {
    rows,
    shape,
    rounds,
    warmup,
    opset,
    provider,
    optLevel: o.optLevel ?? 'basic',
    threads: o.threads,
    machine: machineInfo(),
  };
}

export function activationBenchMarkdown(r: ActivationBenchResult, command: string): string {
  const fmt = (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const lines = [
    '# Activation cost in deployment (onnxruntime, activation alone)',
    '',
    `Each activation exported alone (\`actbench acts export NAME --shape ${r.shape.join(',')}\`), run on one`,
    `[${r.shape.join(', ')}] float32 tensor. ${r.rounds} timed runs each, in turns: each activation alone in its turn (its session open only then), the order rotated, ${r.warmup} warm-up runs per turn; p50/p90 of`,
    'the per-run wall time around `session.run` (including the copy of the output into JS).',
    '',
    `- provider: ${r.provider}, graph optimisation: ${r.optLevel}, intra-op threads: ${r.threads ?? 'onnxruntime default (all cores)'}, opset ${r.opset}`,
    `- machine: ${machineLine(r.machine)}`,
    `- command: \`${command}\``,
    '- *cuda-safe* is the default export (Asin/Atan/Sinh/Cosh/Asinh rewritten into ops the CUDA provider has);',
    '  *native* keeps those ops and is listed only where the graph differs.',
    '',
    '| activation | graph | ONNX nodes | p50 ms | p90 ms | × ReLU (p50) |',
    '|---|---|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.name} | ${x.variant} | ${x.nodes} | ${fmt(x.p50ms)} | ${fmt(x.p90ms)} | ${x.relToRelu.toFixed(2)} |`),
    '',
  ];
  return lines.join('\n');
}
