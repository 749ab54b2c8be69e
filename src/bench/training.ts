/**
 * Training speed per TF.js backend: images/s of full train steps (forward, backward, momentum update) at
 * batch 128 for resnet20 (32×32×3) and the small CNN (28×28×1), ReLU, after warm-up steps — each backend in
 * its own process (src/bench/training-child.ts) so peak RSS is its own — plus, when Debian's python3-torch
 * is installed, PyTorch training the same architectures in the same run with the same batch and thread
 * count (src/bench/torch_training.py), the ratio native/PyTorch, the per-kernel profiles of wasm (before)
 * and native (after), and the native conv kernels' GFLOP/s against the machine's SGEMM.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '../train/backend.js';
import { nativeAddon, nativeThreads } from '../train/native/addon.js';
import { tensorflowStatus } from '../setup/status.js';
import { machineInfo, machineLine, type MachineInfo } from './machine.js';
import type { TrainingChildResult } from './training-child.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface TrainingBenchRow {
  /** pytorch: default OpenMP; pytorch-passive: OMP_WAIT_POLICY=PASSIVE; pytorch-1t: one thread */
  backend: BackendName | 'pytorch' | 'pytorch-passive' | 'pytorch-1t';
  model: string;
  batch: number;
  steps: number;
  imagesPerSecond: number;
  msPerStep: number;
  threads: number;
  peakRssMiB?: number;
  cpuSecondsPerStep?: number;
}

export interface TrainingBench {
  rows: TrainingBenchRow[];
  machine: MachineInfo;
  load: { before: number; after: number };
  native: TrainingChildResult | null;
  wasm: TrainingChildResult | null;
  torchSgemmGflops: number | null;
  notes: string[];
}

function child(backend: BackendName, model: string, batch: number, warm: number, steps: number, profile: boolean): TrainingChildResult | string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, 'training-child.ts'), backend, model, String(batch), String(warm), String(steps), profile ? '1' : '0'], {
    encoding: 'utf8', maxBuffer: 64 * 2 ** 20,
  });
  const line = r.stdout.split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) return (r.stderr || r.stdout).split('\n').filter((l) => /error/i.test(l))[0] ?? `exit ${r.status}`;
  return JSON.parse(line) as TrainingChildResult;
}

function torch(model: string, batch: number, threads: number, passive: boolean): { imagesPerSecond: number; msPerStep: number; steps: number; sgemmGflops: number } | string {
  const env = passive ? { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } : process.env;
  const r = spawnSync('/usr/bin/python3', [join(HERE, 'torch_training.py'), '--model', model, '--batch', String(batch), '--threads', String(threads)], { encoding: 'utf8', env });
  if (r.error) return r.error.message;
  const line = r.stdout.split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) return (r.stderr.split('\n').filter(Boolean).pop() ?? `exit ${r.status}`);
  return JSON.parse(line) as { imagesPerSecond: number; msPerStep: number; steps: number; sgemmGflops: number };
}

export async function benchTraining(o: { backends?: BackendName[]; batch?: number; log?: (s: string) => void } = {}): Promise<TrainingBench> {
  const batchSize = o.batch ?? 128;
  const log = o.log ?? (() => {});
  // ACTBENCH_BENCH_BACKENDS=native,wasm narrows a run; tensorflow joins when `actbench setup tensorflow` is done
  const env = process.env.ACTBENCH_BENCH_BACKENDS?.split(',').map((b) => b.trim()).filter(Boolean) as BackendName[] | undefined;
  const backends = o.backends ?? env ?? ([...(tensorflowStatus('cpu').ready ? ['tensorflow'] : []), 'native', 'wasm', 'cpu'] as BackendName[]);
  const threads = nativeAddon() ? nativeThreads() : 1;
  const rows: TrainingBenchRow[] = [];
  const notes: string[] = [];
  const out: TrainingBench = { rows, machine: machineInfo(), load: { before: loadavg()[0], after: 0 }, native: null, wasm: null, torchSgemmGflops: null, notes };
  const torchOk = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  if (!torchOk) notes.push('PyTorch anchor skipped: `/usr/bin/python3 -c "import torch"` failed (Debian: apt-get install python3-torch)');
  for (const model of ['cnn_small', 'resnet20']) {
    // PyTorch's OpenMP threads spin-wait: on a busy host 2 threads can run 4× slower than 1, so the anchor is
    // the fastest of default OpenMP, OMP_WAIT_POLICY=PASSIVE and one thread (a conservative ratio)
    const runTorch = () => {
      if (!torchOk) return;
      for (const [label, t0, passive] of [['pytorch', threads, false], ['pytorch-passive', threads, true], ['pytorch-1t', 1, false]] as const) {
        if (label !== 'pytorch' && threads === 1) continue;
        const t = torch(model, batchSize, t0, passive);
        if (typeof t === 'string') {
          notes.push(`PyTorch ${model}: ${t}`);
          return;
        }
        out.torchSgemmGflops = Math.max(out.torchSgemmGflops ?? 0, t.sgemmGflops);
        rows.push({ backend: label, model, batch: batchSize, steps: t.steps, imagesPerSecond: t.imagesPerSecond, msPerStep: t.msPerStep, threads: t0 });
        log(`${label} ${model}: ${t.imagesPerSecond.toFixed(1)} img/s`);
      }
    };
    runTorch();
    for (const backend of backends) {
      // the pure-JS backend is ~25–100× slower: one timed step (no warm-up); resnet20 at batch 16
      const [warm, steps] = backend === 'cpu' ? [0, 1] : [2, 6];
      const batch = backend === 'cpu' && model === 'resnet20' ? Math.min(16, batchSize) : batchSize;
      const profile = model === 'resnet20' && (backend === 'native' || backend === 'wasm');
      const r = child(backend, model, batch, warm, steps, profile);
      if (typeof r === 'string') {
        log(`${backend} ${model}: unavailable (${r})`);
        notes.push(`${backend} ${model}: unavailable (${r})`);
        continue;
      }
      rows.push({ backend, model, batch, steps, imagesPerSecond: r.imagesPerSecond, msPerStep: r.msPerStep, threads: r.threads, peakRssMiB: r.peakRssMiB, cpuSecondsPerStep: r.cpuSecondsPerStep });
      if (profile && backend === 'native') out.native = r;
      if (profile && backend === 'wasm') out.wasm = r;
      log(`${backend} ${model}: ${r.imagesPerSecond.toFixed(1)} img/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
    }
    // PyTorch again after the TF.js backends: the host's speed drifts, so the ratio uses the better of the two
    runTorch();
  }
  out.load.after = loadavg()[0];
  return out;
}

const CONV_KINDS: [string, string[]][] = [
  ['forward (Conv2D, FusedConv2D)', ['Conv2D', 'FusedConv2D']],
  ['input gradient (Conv2DBackpropInput)', ['Conv2DBackpropInput']],
  ['filter gradient (Conv2DBackpropFilter)', ['Conv2DBackpropFilter']],
];

function profileTable(r: TrainingChildResult): string[] {
  const p = r.profile ?? [];
  const total = p.reduce((a, k) => a + k.ms, 0);
  return [
    `${r.backend}: ${r.msPerStep.toFixed(0)} ms per step; kernels ${total.toFixed(0)} ms (the rest: autodiff bookkeeping, tidy, the optimizer's JS)`,
    '',
    '| kernel | calls / step | ms / step | share of kernel time |',
    '|---|---:|---:|---:|',
    ...p.slice(0, 16).map((k) => `| ${k.kernel} | ${k.calls.toFixed(0)} | ${k.ms.toFixed(1)} | ${((100 * k.ms) / Math.max(total, 1e-9)).toFixed(1)} % |`),
    '',
  ];
}

function best(rows: TrainingBenchRow[], backend: TrainingBenchRow['backend'], model: string): TrainingBenchRow | undefined {
  const match = (b: TrainingBenchRow['backend']) => (backend === 'pytorch' ? b.startsWith('pytorch') : b === backend);
  return rows.filter((r) => match(r.backend) && r.model === model).sort((a, b) => b.imagesPerSecond - a.imagesPerSecond)[0];
}

export function trainingBenchMarkdown(r: TrainingBench, command: string): string {
  const lines = [
    '# Training speed per TF.js backend',
    '',
    'Full train steps (forward, backward, momentum-SGD update) on random data, ReLU, batch 128, each backend in its own',
    'process. `native` is actbench\'s C++ backend (native/, src/train/native/); wasm runs one thread in Node with the',
    'training kernels actbench registers; PyTorch 1.13 (Debian python3-torch, oneDNN) trains the same architectures with',
    'the same batch and thread count in the same run (run before and after the TF.js backends, with default OpenMP,',
    'OMP_WAIT_POLICY=PASSIVE and one thread; the fastest PyTorch run is the anchor). PyTorch\'s matmul goes to Debian\'s',
    'generic BLAS (slow), its convolutions to oneDNN (fast): only the convolutions matter for these models.',
    '',
    `- machine: ${machineLine(r.machine)}`,
    `- load average (1 min) before / after: ${r.load.before.toFixed(1)} / ${r.load.after.toFixed(1)} — ratios are same-run; absolute speeds are not comparable across runs`,
    `- command: \`${command}\``,
    '',
    '| backend | model | batch | threads | timed steps | ms / step | images / s | CPU s / step | peak RSS MiB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.backend} | ${x.model} | ${x.batch} | ${x.threads} | ${x.steps} | ${x.msPerStep.toFixed(0)} | ${x.imagesPerSecond.toFixed(1)} | ${x.cpuSecondsPerStep?.toFixed(2) ?? '–'} | ${x.peakRssMiB?.toFixed(0) ?? '–'} |`),
    '',
  ];
  for (const model of ['resnet20', 'cnn_small']) {
    const n = best(r.rows, 'native', model);
    const t = best(r.rows, 'pytorch', model);
    const w = best(r.rows, 'wasm', model);
    if (n && t) lines.push(`- **${model}: native / PyTorch = ${(n.imagesPerSecond / t.imagesPerSecond).toFixed(2)}×** (${n.imagesPerSecond.toFixed(1)} vs ${t.imagesPerSecond.toFixed(1)} img/s, PyTorch's fastest configuration: ${t.backend}, ${t.threads} thread${t.threads > 1 ? 's' : ''})${w ? `; native / wasm = ${(n.imagesPerSecond / w.imagesPerSecond).toFixed(1)}×` : ''}`);
  }
  lines.push('');
  if (r.native?.profile && r.native.convFlops) {
    const perKind = r.native.convFlops / 3;
    lines.push('## Native conv kernels against the machine\'s SGEMM', '');
    lines.push(`Each conv kernel kind does ${(perKind / 1e9).toFixed(2)} GFLOP per resnet20 step (batch ${r.native.batch}), ${r.native.threads} threads.`, '');
    lines.push('| kernel | ms / step | GFLOP/s |', '|---|---:|---:|');
    for (const [label, names] of CONV_KINDS) {
      const ms = (r.native.profile ?? []).filter((k) => names.includes(k.kernel)).reduce((a, k) => a + k.ms, 0);
      lines.push(`| ${label} | ${ms.toFixed(1)} | ${ms > 0 ? (perKind / (ms / 1000) / 1e9).toFixed(1) : '–'} |`);
    }
    lines.push('');
    lines.push(`- native SGEMM, 1024³: ${r.native.sgemmGflops?.toFixed(1) ?? '–'} GFLOP/s; PyTorch's BLAS, 1024³: ${r.torchSgemmGflops?.toFixed(1) ?? '–'} GFLOP/s (same run, same threads)`, '');
  }
  if (r.wasm?.profile) lines.push('## Kernel profile before (wasm, resnet20 batch 128)', '', ...profileTable(r.wasm));
  if (r.native?.profile) lines.push('## Kernel profile after (native, resnet20 batch 128)', '', ...profileTable(r.native));
  const nr = best(r.rows, 'native', 'resnet20');
  const wr = best(r.rows, 'wasm', 'resnet20');
  if (nr?.peakRssMiB && wr?.peakRssMiB) lines.push(`- peak RSS of resnet20 batch-128 training: native ${nr.peakRssMiB.toFixed(0)} MiB, wasm ${wr.peakRssMiB.toFixed(0)} MiB`, '');
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}
