/**
 * `npm run bench -- deploy`: deployed speed of ResNet-20 per activation against PyTorch's own export of the
 * same ReLU network (torch.onnx.export, same weights), in one `benchModels` run (models alone in rotated turns) with the session
 * defaults; the thread/spinning settings the defaults were picked from; per-node onnxruntime profiles of
 * LayerAct and VeLU; achieved GFLOP/s against the machine's peak.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { quantile } from 'simple-statistics';
import { type ExportTarget } from '../acts/onnx.js';
import { createModel, countMacs } from '../models/registry.js';
import { exportLayersModel } from '../onnx/export.js';
import type { BenchRecord } from '../results/store.js';
import { createSession, DEFAULT_OPT_LEVEL, DEFAULT_SPINNING, defaultIntraOpThreads } from '../runtime/session.js';
import { machineInfo, machineLine, peakFlops, type MachineInfo, type PeakFlops } from './machine.js';
import { nativeAddon } from '../train/native/addon.js';
import { benchInput, benchModels } from './models.js';
import { profileFloor, profileModels, type OrtProfile } from './ort-profile.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The activations of the deploy comparison (catalogue names). */
export const DEPLOY_ACTS = ['relu', 'silu', 'la_silu', 'la_hardsilu', 'velu', 'mish', 'pangaea_p5'] as const;
/** The activations profiled per node, and the reference */
export const PROFILED_ACTS = ['relu', 'la_silu', 'velu'] as const;
const BATCH = 128;
const TORCH = 'torch:relu';

/**
 * The nodes each goal's function cannot do without on onnxruntime's CPU provider (profileFloor): what any
 * standard-op lowering of it runs, whatever else is made cheaper.
 */
export const FLOOR_OPS: Record<string, { needed: readonly string[]; reorders: boolean; why: string }> = {
  la_silu: {
    needed: ['LayerNormalization', 'Sigmoid', 'Mul'],
    reorders: true,
    why: "the per-sample normalisation, the gate and its product, and the NCHWc layout reorders around LayerNormalization (onnxruntime's NCHWc transformer keeps only Conv, pools, Relu/Sigmoid/Tanh and same-shape Add/Mul in the blocked layout)",
  },
  velu: { needed: ['Asin', 'Atan'], reorders: false, why: 'the two inverse trigonometric functions alone (onnxruntime 1.30 runs them as scalar loops)' },
};

export interface SettingsRow {
  threads: number;
  spinning: boolean;
  model: string;
  batch: number;
  /** median over rounds of each round's median latency, ms */
  p50: number;
  /** median over rounds of each round's p99, ms */
  p99: number;
  /** process CPU seconds per image over the timed runs (spinning threads burn CPU while waiting) */
  cpuMsPerImage: number;
}

export interface ProfileEntry {
  activation: string;
  target: ExportTarget;
  profile: OrtProfile;
}

export interface DeployResult {
  machine: MachineInfo;
  load: { before: number[]; after: number[] };
  target: ExportTarget;
  torch: { version: string; maxAbsDiff: number } | { skipped: string };
  records: BenchRecord[];
  /** label (activation, or torch:relu) per model path */
  labels: Record<string, string>;
  settings: SettingsRow[];
  profiles: ProfileEntry[];
  /** the per-node profile section of an earlier commit's lowering (reports/bench-deploy-profiles-before.md), if kept */
  profilesBefore?: string;
  macs: number;
  peak: PeakFlops | null;
  notes: string[];
}

/** BatchNorm statistics and affine parameters that are far from the identity, deterministically. */
export function setNontrivialBatchNorm(model: tf.LayersModel): number {
  let n = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const c = layer.getWeights()[0].shape[0];
    const v = (f: (k: number) => number) => tf.tensor1d(Float32Array.from({ length: c }, (_, k) => f(k)));
    const s = n * 7.1;
    layer.setWeights([v((k) => 1 + 0.25 * Math.sin(s + k)), v((k) => 0.1 * Math.cos(s + 2 * k)), v((k) => 0.2 * Math.sin(s + 3 * k + 1)), v((k) => 0.6 + 0.5 * (1 + Math.sin(s + 5 * k)))]);
    n++;
  }
  return n;
}

/** HWIO → OIHW */
function oihw(k: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let ci = 0; ci < cin; ci++) for (let co = 0; co < cout; co++) out[((co * cin + ci) * kh + y) * kw + x] = k[((y * kw + x) * cin + ci) * cout + co];
  return out;
}

/** The weights of a TF.js ResNet-20 in PyTorch layout and module order (torch_resnet20.py reads them). */
function torchWeights(model: tf.LayersModel, dir: string): { index: string; bin: string } {
  const tensors: { shape: number[]; offset: number }[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  const push = (data: Float32Array, shape: number[]) => {
    tensors.push({ shape, offset });
    chunks.push(data);
    offset += data.length;
  };
  for (const layer of model.layers) {
    const w = layer.getWeights();
    const d = (k: number) => Float32Array.from(w[k].dataSync() as Float32Array);
    switch (layer.getClassName()) {
      case 'Conv2D': {
        const [kh, kw, cin, cout] = w[0].shape;
        push(oihw(d(0), w[0].shape), [cout, cin, kh, kw]);
        if (w[1]) push(d(1), [cout]);
        break;
      }
      case 'BatchNormalization':
        for (let k = 0; k < 4; k++) push(d(k), [w[k].shape[0]]);
        break;
      case 'Dense': {
        const [din, dout] = w[0].shape;
        const k = d(0);
        const t = new Float32Array(k.length);
        for (let i = 0; i < din; i++) for (let o = 0; o < dout; o++) t[o * din + i] = k[i * dout + o];
        push(t, [dout, din]);
        push(d(1), [dout]);
        break;
      }
      default:
        if (w.length) throw new Error(`internal: layer ${layer.name} (${layer.getClassName()}) has weights the PyTorch rebuild does not take`);
    }
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const index = join(dir, 'torch-weights.json');
  const bin = join(dir, 'torch-weights.bin');
  writeFileSync(index, JSON.stringify({ classes: 10, tensors }));
  writeFileSync(bin, new Uint8Array(all.buffer));
  return { index, bin };
}

function torchAvailable(): string | null {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch, onnx'], { encoding: 'utf8' });
  return r.status === 0 ? null : `/usr/bin/python3 cannot import torch and onnx (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`;
}

async function logits(path: string, x: ort.Tensor): Promise<Float32Array> {
  const s = await createSession(path, { ep: 'cpu' });
  const out = await s.session.run({ [s.session.inputNames[0]]: x });
  await s.session.release();
  return out[s.session.outputNames[0]].data as Float32Array;
}

/** Exported model per activation (ResNet-20, random weights seed 0, non-trivial BN statistics). */
function exportResnet20(act: string, target: ExportTarget, dir: string): { path: string; model: tf.LayersModel } {
  const model = createModel('resnet20', { act, numClasses: 10, inputShape: [32, 32, 3], seed: 0 });
  setNontrivialBatchNorm(model);
  const path = join(dir, `resnet20-${act}-${target}.onnx`);
  writeFileSync(path, exportLayersModel(model, { target }).bytes);
  return { path, model };
}

/** Thread and spinning settings: rounds of short runs in turns, the configuration order rotated each round. */
async function benchSettings(paths: Record<string, string>, log: (l: string) => void, rounds = 3): Promise<SettingsRow[]> {
  const configs = [1, 2].flatMap((threads) => [true, false].map((spinning) => ({ threads, spinning })));
  const acc = new Map<string, { p50: number[]; p99: number[]; cpu: number[] }>();
  const labelOf = new Map(Object.entries(paths).map(([label, path]) => [path, label]));
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < configs.length; j++) {
      const c = configs[(j + r) % configs.length];
      // one turn per model (rounds: 1): this loop rotates the configurations
      const recs = await benchModels(Object.values(paths), { ep: 'cpu', batches: [1, BATCH], warmup: 3, reps: 8, rounds: 1, threads: c.threads, spinning: c.spinning, memory: false });
      for (const b of recs) {
        const key = `${c.threads}|${c.spinning}|${labelOf.get(b.model) ?? b.model}|${b.batch}`;
        const e = acc.get(key) ?? { p50: [], p99: [], cpu: [] };
        e.p50.push(b.latencyMs.p50);
        e.p99.push(b.latencyMs.p99);
        e.cpu.push(b.cpuMsPerImage as number); // measured per model and batch over its timed runs
        acc.set(key, e);
      }
      log(`settings round ${r + 1}/${rounds}: ${c.threads} thread(s), spinning ${c.spinning ? 'on' : 'off'}`);
    }
  }
  return [...acc.entries()].map(([key, e]) => {
    const [threads, spinning, model, batch] = key.split('|');
    return { threads: Number(threads), spinning: spinning === 'true', model, batch: Number(batch), p50: quantile(e.p50, 0.5), p99: quantile(e.p99, 0.5), cpuMsPerImage: quantile(e.cpu, 0.5) };
  });
}

const BEFORE_FILE = 'reports/bench-deploy-profiles-before.md';

/** The cores' running clock (native clock.cc), or undefined without the addon: then the peak uses cpu MHz. */
function measuredClock(): number | undefined {
  const ghz = nativeAddon()?.clockGHz(availableParallelism(), 5);
  return ghz && ghz > 0 ? ghz : undefined;
}

export async function benchDeploy(o: { log?: (l: string) => void; target?: ExportTarget; keepDir?: string } = {}): Promise<DeployResult> {
  const log = o.log ?? (() => {});
  const target = o.target ?? 'cpu';
  const before = loadavg();
  const notes: string[] = [];
  const dir = o.keepDir ?? mkdtempSync(join(tmpdir(), 'actbench-deploy-'));
  mkdirSync(dir, { recursive: true });
  try {
    // 1. the models
    const labels: Record<string, string> = {};
    const byAct: Record<string, string> = {};
    let reluModel: tf.LayersModel | null = null;
    let macs = 0;
    for (const act of DEPLOY_ACTS) {
      const { path, model } = exportResnet20(act, target, dir);
      labels[path] = act;
      byAct[act] = path;
      if (act === 'relu') {
        reluModel = model;
        macs = countMacs(model);
      } else model.dispose();
      log(`exported resnet20 ${act} (target ${target})`);
    }
    // 2. PyTorch's export of the same ReLU network, checked to compute the same function
    let torch: DeployResult['torch'];
    const missing = torchAvailable();
    if (missing || !reluModel) {
      torch = { skipped: missing ?? 'no ReLU model' };
      notes.push(`PyTorch anchor skipped: ${torch.skipped}`);
    } else {
      const w = torchWeights(reluModel, dir);
      const out = join(dir, 'resnet20-relu-torch.onnx');
      const r = spawnSync('/usr/bin/python3', [join(HERE, 'torch_resnet20.py'), w.index, w.bin, out], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`torch_resnet20.py failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`);
      const info = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { torch: string };
      const x = benchInput('float32', [8, 3, 32, 32]);
      const [a, b] = [await logits(byAct.relu, x), await logits(out, x)];
      let maxAbsDiff = 0;
      for (let k = 0; k < a.length; k++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[k] - b[k]));
      // a torch model that computes another function would make every ratio against it meaningless
      if (!(maxAbsDiff <= 1e-4) || a.length !== b.length) throw new Error(`the PyTorch export differs from actbench's ReLU export: max |Δ logit| = ${maxAbsDiff} over ${a.length} logits (limit 1e-4)`);
      torch = { version: info.torch, maxAbsDiff };
      labels[out] = TORCH;
      log(`torch.onnx.export ${info.torch}: max |Δ logit| vs actbench ${maxAbsDiff.toExponential(2)}`);
    }
    reluModel?.dispose();

    // 3. thread / spinning settings (ReLU and LayerAct, batch 1 and 128)
    const settings = await benchSettings({ relu: byAct.relu, la_silu: byAct.la_silu }, log);

    // 4. per-node profiles, batch 128: this target, and the portable graph for reference
    // in rotated turns, so the floors computed from them (ReLU's against each activation's) share machine state
    const toProfile: { activation: string; target: ExportTarget; path: string }[] = [];
    for (const act of PROFILED_ACTS) {
      toProfile.push({ activation: act, target, path: byAct[act] });
      if (target !== 'any') toProfile.push({ activation: act, target: 'any', path: exportResnet20(act, 'any', dir).path });
    }
    // fed what the bench feeds: Asin/Atan's cost depends on the values
    const traced = await profileModels(toProfile.map((x) => x.path), { input: benchInput('float32', [BATCH, 3, 32, 32]) }, { runs: 10, warmup: 2, session: { ep: 'cpu' } });
    const profiles: ProfileEntry[] = toProfile.map((x, k) => ({ activation: x.activation, target: x.target, profile: traced[k] }));
    log(`profiled ${toProfile.length} models (in turns)`);

    // 5. the bench run (models alone in rotated turns), session defaults, CPU provider
    const paths = Object.keys(labels);
    log(`bench ${paths.length} models (in turns, defaults)`);
    const records = await benchModels(paths, { ep: 'cpu' });
    for (const r of records) r.activation = labels[r.model] ?? r.activation;

    let profilesBefore: DeployResult['profilesBefore'];
    if (existsSync(BEFORE_FILE)) profilesBefore = readFileSync(BEFORE_FILE, 'utf8');
    return { machine: machineInfo(), load: { before, after: loadavg() }, target, torch, records, labels, settings, profiles, profilesBefore, macs, peak: peakFlops(undefined, measuredClock()), notes };
  } finally {
    if (!o.keepDir) rmSync(dir, { recursive: true, force: true });
  }
}

// ---- markdown ----

const fx = (v: number, d = 2) => v.toFixed(d);

function profileTable(p: OrtProfile, top = 8): string[] {
  const rows = p.ops.slice(0, top).map((op) => `| ${op.op} | ${fx(op.nodes, 0)} | ${fx(op.ms, 2)} | ${fx(100 * op.share, 1)} |`);
  const rest = p.ops.slice(top);
  if (rest.length) rows.push(`| (${rest.length} more types) | ${fx(rest.reduce((a, o) => a + o.nodes, 0), 0)} | ${fx(rest.reduce((a, o) => a + o.ms, 0), 2)} | ${fx(100 * rest.reduce((a, o) => a + o.share, 0), 1)} |`);
  return ['| op type (as run) | nodes | ms / run | share % |', '|---|---:|---:|---:|', ...rows, '', `Kernel time ${fx(p.kernelMs)} ms per run (the op types' medians summed), onnxruntime's run time ${fx(p.runMs)} ms (median over the turns), ${p.runs} profiled runs${p.arenaHeldMiB !== null ? `, CPU arena held ${fx(p.arenaHeldMiB, 1)} MiB` : ''}.`, ''];
}

function profileSection(title: string, entries: ProfileEntry[], level = '####'): string[] {
  const out = [title, ''];
  for (const e of entries) out.push(`${level} ${e.activation}, target ${e.target}`, '', ...profileTable(e.profile));
  return out;
}

/** This run's profiles on their own (reports/bench-deploy-profiles.md; copied to …-before.md it becomes the next run's "before"). */
export function deployProfilesMarkdown(r: DeployResult, commit: string): string {
  return [`# Per-node onnxruntime profiles of the deploy bench, commit ${commit}`, '', `ResNet-20, batch ${BATCH}, CPU provider, session defaults; load average before the run ${r.load.before.map((v) => fx(v, 1)).join(' / ')}; ${machineLine(r.machine)}.`, '', ...profileSection('', r.profiles, '##').slice(2)].join('\n');
}

export function deployBenchMarkdown(r: DeployResult, command: string): string {
  const at = (label: string) => r.records.find((b) => b.activation === label && b.batch === BATCH);
  const relu = at('relu');
  const torch = at(TORCH);
  const ratio = (b?: BenchRecord) => (b && relu ? b.latencyMs.p50 / relu.latencyMs.p50 : NaN);
  // the ratio within each round (both turns seconds apart): its spread shows how far the machine moved it
  const roundRange = (b: BenchRecord) => {
    const mine = b.roundP50Ms ?? [];
    const base = relu?.roundP50Ms ?? [];
    const rs = mine.slice(0, base.length).map((v, k) => v / base[k]);
    return rs.length ? `${fx(Math.min(...rs))}–${fx(Math.max(...rs))}×` : '–';
  };
  const threads = r.records[0]?.intraOpThreads;
  const spin = r.records[0]?.spinning;
  const lines = [
    '# Deployed speed: ResNet-20 per activation against PyTorch\'s export',
    '',
    `ResNet-20 (CIFAR, random weights seed 0, BatchNorm statistics set to non-trivial values), exported by actbench with \`--target ${r.target}\` for ${DEPLOY_ACTS.join(', ')}${'version' in r.torch ? `, and the same ReLU network (same weights) rebuilt in PyTorch ${r.torch.version} and exported by \`torch.onnx.export\` (opset 17; max |Δ logit| against actbench's ReLU export ${r.torch.maxAbsDiff.toExponential(1)} on 8 images)` : ` (PyTorch anchor skipped: ${r.torch.skipped})`}.`,
    `All models in **one \`benchModels\` run**: each model timed alone in its turn (its session open only then: an idle session's spinning threads would take the cores of the next), the order rotated every round, CPU provider, session defaults: graph optimisation ${relu?.optLevel ?? DEFAULT_OPT_LEVEL}, ${threads} intra-op thread(s), spinning ${spin ? 'on' : 'off'}; ${relu?.warmup} warm-up and ${relu?.reps} timed runs at batch ${relu?.batch} (more at small batches).`,
    '',
    `- machine: ${machineLine(r.machine)}`,
    `- load average (1/5/15 min) before: ${r.load.before.map((v) => fx(v, 1)).join(' / ')}, after: ${r.load.after.map((v) => fx(v, 1)).join(' / ')} — the machine is shared: **ratios are same-run**, absolute speeds are not comparable across runs`,
    `- command: \`${command}\``,
    '',
    `## Speed and memory (batch ${BATCH})`,
    '',
    '| model | img/s | p50 ms | p99 ms | time / actbench ReLU | the same, round by round (min–max) | peak RSS MiB (fresh process) | arena growth MiB | parameters |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...[...DEPLOY_ACTS, TORCH].map((a) => at(a)).filter((b): b is BenchRecord => b !== undefined).map((b) =>
      `| ${b.activation} | ${fx(b.imagesPerSecond, 0)} | ${fx(b.latencyMs.p50)} | ${fx(b.latencyMs.p99)} | ${fx(ratio(b))}× | ${roundRange(b)} | ${b.peakRssMiB !== undefined ? fx(b.peakRssMiB, 0) : '–'} | ${b.arenaGrowthMiB !== undefined ? fx(b.arenaGrowthMiB, 1) : '–'} | ${b.parameters?.toLocaleString('en-US') ?? '–'} |`),
    '',
    'Round by round: the model\'s p50 over ReLU\'s in each of the rounds (their turns seconds apart). On a shared VM the models heavy in element-wise passes over large tensors (velu, mish, pangaea_p5) move most: their whole-run ratio is the median, and this range is how much to trust it.',
    '',
    'Peak RSS: each model in its own fresh Node process (session creation + two runs of the largest batch), so it includes Node and onnxruntime\'s library',
    `(${relu?.baseRssMiB !== undefined ? `${fx(relu.baseRssMiB, 0)} MiB before the session existed` : 'the process baseline'}); arena growth is the RSS added by the runs after session creation. Parameters: float elements of the model's initializers (BatchNorm folded into the convolutions).`,
    '',
    '## Goals',
    '',
    '| goal | reached | met |',
    '|---|---:|---|',
  ];
  if (torch && relu) lines.push(`| actbench ReLU at least as fast as PyTorch's export (time ratio ≤ 1) | ${fx(relu.latencyMs.p50 / torch.latencyMs.p50)}× | ${relu.latencyMs.p50 <= torch.latencyMs.p50 ? 'yes' : 'no'} |`);
  for (const [label, acts, limit] of [['LayerAct', ['la_silu', 'la_hardsilu'], 1.2], ['VeLU', ['velu'], 1.5]] as const) {
    for (const a of acts) {
      const v = ratio(at(a));
      lines.push(`| ${label} (${a}) ≤ ${limit}× the ReLU model's time | ${fx(v)}× | ${v <= limit ? 'yes' : 'no'} |`);
    }
  }
  lines.push('', 'Time ratios are p50 latency at batch 128 over actbench ReLU\'s, from the same run.', '');
  const prof = (a: string) => r.profiles.find((p) => p.activation === a && p.target === r.target)?.profile;
  const reluProf = prof('relu');
  const floors = Object.entries(FLOOR_OPS).flatMap(([a, spec]) => {
    const p = prof(a);
    return p && reluProf ? [{ a, spec, f: profileFloor(p, reluProf, { ...spec, baselineActivation: ['Relu'] }) }] : [];
  });
  if (floors.length) {
    lines.push('### What bounds the rest', '');
    lines.push(`From this run's per-node profiles (target ${r.target}, all profiled models in rotated turns; below): the profiled kernel time over ReLU's, and the floor — the model's own time in the work it shares with the ReLU model (convolutions, pools, the head) and in the nodes its function cannot do without on this runtime, over ReLU's kernel time: what would be left if every other node cost nothing. A better lowering can win only the reducible rest. Profiled ratios differ from the bench's (the profiler adds a cost per node, and these models have more nodes); the ReLU model's convolutions include its fused activations and residual additions.`, '');
    lines.push('| model | needed nodes | their ms / run | reducible ms / run | profiled ratio | floor |', '|---|---|---:|---:|---:|---:|');
    for (const { a, spec, f } of floors) lines.push(`| ${a} | ${spec.needed.join(', ')}${spec.reorders ? ', its layout reorders' : ''} | ${fx(f.neededMs)} | ${fx(f.reducibleMs)} | ${fx(f.ratio)}× | ${fx(f.floor)}× |`);
    lines.push('', ...floors.map(({ a, spec }) => `- ${a}: ${spec.why}.`), '');
  }
  lines.push('## The CPU lowerings measured', '');
  lines.push(
    '- LayerAct: one `LayerNormalization`-17 over the sample (axis 1) and the gate (`Sigmoid`/`HardSigmoid`, `Mul`); the unbiased-variance correction sits in the scale and ε, no Mul/Div chain. The scale has the normalised shape, made by `Expand` of a scalar (onnxruntime folds it at session creation): with a `[1]` scale onnxruntime\'s CPU kernel takes its per-element broadcast path, several times slower. No bias input (an explicit empty one after an Add is the SkipLayerNormFusion crash pattern).',
    '- VeLU: native `Atan`/`Asin` (no CUDA-safe polynomials on `--target cpu`); scalar factors (λ, γ, m) multiply the reduced channel statistic, not the full tensor, so one full-size pass and its layout reorder are gone. `Atan` + `Asin` remain the largest non-conv cost (see the profiles): onnxruntime runs them as scalar loops, and no exact standard-op form is cheaper (a range-reduced polynomial needs more full-size passes than the two ops cost).',
    '- Softplus-based: softplus as relu(x) + ln(1 + e^−|x|), mish as x·n/(n + 2) with n = eˣ(eˣ + 2), ln σ(x) as min(x, 0) + ln σ(|x|) (5 ops, ~0.75× the time of −softplus(−x)\'s form in a single-activation check); onnxruntime\'s own `Softplus` ran 2.1× and its `Mish` 3.7× these forms in that check (ReLU = 1: 6.8, 8.0 against 3.3, 2.2).',
    '- PANGAEA p5: ELU(ReLU(βx)) is ReLU(βx) exactly (ELU is the identity on x ≥ 0), one full-size pass less.',
    '- Every model: ResNet\'s option-A shortcut (stride-2 subsample, zero channels) is one 1×1 strided convolution with a fixed identity-and-zeros filter instead of `Slice` + `Pad` (onnxruntime runs that strided Slice as a scalar gather, ~1.6 ms per shortcut at batch 128, outside the NCHWc layout): the ReLU model then runs entirely in the blocked layout with every residual addition fused into a convolution, ~6 % faster. It lowers the denominator of every ratio above.',
    '',
  );

  // GFLOP/s
  if (relu && r.peak) {
    const gflop = (2 * r.macs) / 1e9;
    lines.push('## Achieved GFLOP/s of the ReLU model', '');
    lines.push(`One forward pass is ${(r.macs / 1e6).toFixed(1)} M multiply-adds (countMacs: convolutions and the dense layer) = ${(gflop * 1e3).toFixed(1)} MFLOP per image (2 FLOPs per MAC).`);
    lines.push(`Peak = cores × clock × fp32 lanes × FMA pipes × 2 = ${r.peak.cores} × ${fx(r.peak.ghz, 3)} GHz × ${r.peak.lanes} × ${r.peak.fmaPipes} × 2 = **${fx(r.peak.gflops, 1)} GFLOP/s** (${r.peak.basis}).${r.peak.lanes < 16 ? ' This VM\'s CPU reports no AVX-512 (it was expected to be a Zen 5 with AVX-512): the peak follows the flags /proc/cpuinfo shows.' : ''}${r.peak.measuredGhz ? ' The clock is the one the cores ran at, measured by a chain of dependent integer adds (one per cycle) on every core at once right after the bench: under a hypervisor /proc/cpuinfo shows the nominal clock, and a peak from it sits below what boosted cores achieve.' : ' The clock is /proc/cpuinfo\'s (the native addon, which measures it, is not built): under a hypervisor that is the nominal clock, and boost would raise the peak.'}`, '');
    lines.push('| model | img/s | GFLOP/s | % of peak |', '|---|---:|---:|---:|');
    for (const b of [relu, torch].filter((x): x is BenchRecord => x !== undefined)) {
      const g = b.imagesPerSecond * gflop;
      const pct = (100 * g) / r.peak.gflops;
      // above 100 % the peak's model of this CPU is wrong, not the run: say so rather than print it as a fraction
      lines.push(`| ${b.activation} | ${fx(b.imagesPerSecond, 0)} | ${fx(g, 1)} | ${pct <= 100 ? fx(pct, 1) : `above the computed peak (${fx(pct, 0)} %): the peak is wrong for this CPU`} |`);
    }
    lines.push('', 'Activations and BatchNorm are not counted as FLOPs (both are folded or element-wise); the machine was shared, so the fraction is a lower bound.', '');
  }

  // settings
  lines.push('## Thread and spinning settings', '');
  lines.push('Three rounds of short runs per configuration (the order rotated each round, each model alone in its turn), ReLU and LayerAct (la_silu), CPU provider; p50 and p99 are medians over the rounds; CPU ms per image is the process\'s CPU time (all threads, user + system) over that model\'s timed runs at that batch, per image: spinning threads burn CPU while they wait.', '');
  lines.push('| intra-op threads | spinning | model | batch | p50 ms | p99 ms | CPU ms / image |', '|---:|---|---|---:|---:|---:|---:|');
  for (const s of [...r.settings].sort((a, b) => a.model.localeCompare(b.model) || a.batch - b.batch || a.threads - b.threads || Number(b.spinning) - Number(a.spinning))) {
    lines.push(`| ${s.threads} | ${s.spinning ? 'on' : 'off'} | ${s.model} | ${s.batch} | ${fx(s.p50, 3)} | ${fx(s.p99, 3)} | ${fx(s.cpuMsPerImage, 3)} |`);
  }
  const best = (model: string, batch: number) => [...r.settings].filter((s) => s.model === model && s.batch === batch).sort((a, b) => a.p50 - b.p50)[0];
  lines.push('');
  for (const m of ['relu', 'la_silu']) for (const b of [1, BATCH]) {
    const x = best(m, b);
    if (x) lines.push(`- fastest for ${m} at batch ${b}: ${x.threads} thread(s), spinning ${x.spinning ? 'on' : 'off'} (p50 ${fx(x.p50, 3)} ms)`);
  }
  lines.push(`- session defaults (src/runtime/session.ts): ${defaultIntraOpThreads()} intra-op thread(s) on this machine (one per available core), spinning ${DEFAULT_SPINNING ? 'on' : 'off'}; every bench and eval record stores both`, '');

  // profiles
  lines.push('## Per-node profiles (onnxruntime profiler, batch 128)', '');
  lines.push('Kernel time by op type as onnxruntime ran the optimised graph (after fusion: `FusedConv` is Conv with its activation fused, `com.microsoft` kernels appear under their op names), 10 profiled runs in 5 turns per model (a session each, 2 warm-up runs, then 2 profiled), each model alone in its turn, the order rotated every round; per op type the median over the turns of its time per run; fed the bench\'s own input (Asin/Atan\'s cost depends on the values).', '');
  if (r.profilesBefore) lines.push(`### Before (${BEFORE_FILE}, an earlier run)`, '', ...r.profilesBefore.split('\n').filter((l) => !l.startsWith('# ')).map((l) => l.replace(/^### /, '#### ').replace(/^## /, '#### ')), '');
  lines.push(...profileSection(`### After: this commit's lowering (this run)`, r.profiles));
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}
