/**
 * Training speed per TF.js backend: images/s of full train steps (forward, backward, momentum update) at
 * batch 128 for resnet20 (32×32×3) and the small CNN (28×28×1), ReLU, after warm-up steps. Each backend
 * runs in its own process (peak RSS is per backend); PyTorch, where /usr/bin/python3 has it, runs the same
 * two models at the same batch and thread count in the same run, as the reference the ratios are to.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../acts/define.js';
import { createModel } from '../models/registry.js';
import { selectBackend, type BackendName } from '../train/backend.js';
import { machineInfo, machineLine, type MachineInfo } from './machine.js';

export interface TrainingBenchRow {
  backend: BackendName | 'pytorch';
  /** what ran underneath: TensorFlow/TF.js/PyTorch version */
  engine: string;
  threads: string;
  peakRssBytes: number;
  model: string;
  batch: number;
  steps: number;
  imagesPerSecond: number;
  msPerStep: number;
}

function step(model: tf.LayersModel, opt: tf.Optimizer, x: tf.Tensor, y: tf.Tensor): void {
  tf.tidy(() => {
    const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    opt.applyGradients(grads);
  });
}

const WARM_TIMED = [2, 6] as const;

/** Rows of one backend in this process (training-child.ts calls it in a fresh one). */
export async function measureBackend(backend: BackendName, batchSize: number): Promise<{ rows: Omit<TrainingBenchRow, 'peakRssBytes'>[] }> {
  const choice = await selectBackend(backend, 'train');
  const rows: Omit<TrainingBenchRow, 'peakRssBytes'>[] = [];
  for (const [name, shape] of [['cnn_small', [28, 28, 1]], ['resnet20', [32, 32, 3]]] as const) {
    // the pure-JS backend is ~25–100× slower: one timed step (no warm-up) keeps the suite in minutes
    const [warm, steps] = backend === 'cpu' ? [0, 1] : WARM_TIMED;
    // a pure-JS resnet20 step at batch 128 takes over ten minutes here: measure it at batch 16
    const batch = backend === 'cpu' && name === 'resnet20' ? Math.min(16, batchSize) : batchSize;
    const model = createModel(name, { act: resolveActivation('relu'), numClasses: 10, inputShape: [...shape] });
    const opt = tf.train.momentum(0.01, 0.9);
    const x = tf.randomNormal([batch, ...shape]);
    const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10).toFloat();
    for (let k = 0; k < warm; k++) step(model, opt, x, y);
    const t0 = performance.now();
    for (let k = 0; k < steps; k++) step(model, opt, x, y);
    const ms = (performance.now() - t0) / steps;
    const threads = backend === 'tensorflow' || backend === 'tensorflow-gpu' ? `TF default (${process.env.TF_NUM_INTRAOP_THREADS ?? availableParallelism()} intra-op)` : backend === 'wasm' ? '1' : '1 (JS)';
    rows.push({ backend, engine: choice.version, threads, model: name, batch, steps, imagesPerSecond: (batch * 1000) / ms, msPerStep: ms });
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  }
  return { rows };
}

function childRows(backend: BackendName, batch: number, log?: (s: string) => void): TrainingBenchRow[] {
  const self = fileURLToPath(import.meta.url);
  const child = self.replace(/training\.(ts|js)$/, 'training-child.$1');
  const r = spawnSync(process.execPath, [...process.execArgv, child, backend, String(batch)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('ACTBENCH_ROWS '));
  const out = line ? (JSON.parse(line.slice(14)) as { rows?: Omit<TrainingBenchRow, 'peakRssBytes'>[]; peakRssBytes?: number; error?: string }) : { error: (r.stderr ?? '').trim().split('\n').slice(-2).join(' ') };
  if (!out.rows) {
    log?.(`${backend}: unavailable (${out.error})`);
    return [];
  }
  return out.rows.map((x) => ({ ...x, peakRssBytes: out.peakRssBytes ?? 0 }));
}

/** PyTorch rows from /usr/bin/python3 (or ACTBENCH_TORCH_PYTHON), or none where torch does not import. */
function torchRows(batch: number, threads: number, log?: (s: string) => void): TrainingBenchRow[] {
  const py = process.env.ACTBENCH_TORCH_PYTHON ?? '/usr/bin/python3';
  const script = fileURLToPath(new URL('./torch_train.py', import.meta.url)).replace('/dist/', '/src/');
  const r = spawnSync(py, [script, String(batch), String(threads), String(WARM_TIMED[0]), String(WARM_TIMED[1])], { encoding: 'utf8' });
  if (r.status !== 0) {
    log?.(`pytorch: unavailable (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`);
    return [];
  }
  const o = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { rows: Omit<TrainingBenchRow, 'backend' | 'engine' | 'threads' | 'peakRssBytes'>[]; peakRssBytes: number; torch: string; threads: number };
  return o.rows.map((x) => ({ ...x, backend: 'pytorch' as const, engine: `PyTorch ${o.torch}`, threads: String(o.threads), peakRssBytes: o.peakRssBytes }));
}

export async function benchTraining(o: { backends?: BackendName[]; batch?: number; log?: (s: string) => void } = {}): Promise<{ rows: TrainingBenchRow[]; machine: MachineInfo }> {
  const batchSize = o.batch ?? 128;
  const rows: TrainingBenchRow[] = [];
  const threads = availableParallelism();
  for (const r of torchRows(batchSize, threads, o.log)) {
    rows.push(r);
    o.log?.(`pytorch ${r.model}: ${r.imagesPerSecond.toFixed(1)} img/s`);
  }
  // ACTBENCH_BENCH_BACKENDS=tensorflow,wasm narrows a run (the pure-JS rows take many minutes)
  const fromEnv = process.env.ACTBENCH_BENCH_BACKENDS?.split(',').filter(Boolean) as BackendName[] | undefined;
  for (const backend of o.backends ?? fromEnv ?? (['tensorflow', 'wasm', 'cpu'] as BackendName[])) {
    for (const r of childRows(backend, batchSize, o.log)) {
      rows.push(r);
      o.log?.(`${backend} ${r.model}: ${r.imagesPerSecond.toFixed(1)} img/s, peak RSS ${(r.peakRssBytes / 1e9).toFixed(2)} GB`);
    }
  }
  return { rows, machine: machineInfo() };
}

export function trainingBenchMarkdown(r: { rows: TrainingBenchRow[]; machine: MachineInfo }, command: string): string {
  const torch = new Map(r.rows.filter((x) => x.backend === 'pytorch').map((x) => [x.model, x.imagesPerSecond]));
  const ratio = (x: TrainingBenchRow) => {
    const t = torch.get(x.model);
    return t && x.backend !== 'pytorch' ? `${(x.imagesPerSecond / t).toFixed(3)}×` : x.backend === 'pytorch' ? '1×' : '–';
  };
  return [
    '# Training speed per TF.js backend',
    '',
    'Full train steps (forward, backward, momentum-SGD update) on random data, ReLU, one process per backend (peak',
    'RSS is that process\'s). wasm runs on one thread in Node and trains only with the kernels actbench registers',
    '(`src/train/wasm-kernels.ts`); tensorflow is tfjs-node on libtensorflow from the TensorFlow wheel (`actbench',
    'setup tensorflow`), TF\'s own thread defaults; PyTorch runs the same models at the same batch in the same run.',
    '',
    `- machine: ${machineLine(r.machine)}`,
    `- command: \`${command}\``,
    '',
    '| backend | engine | threads | model | batch | timed steps | ms / step | images / s | vs PyTorch | peak RSS |',
    '|---|---|---|---|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.backend} | ${x.engine} | ${x.threads} | ${x.model} | ${x.batch} | ${x.steps} | ${x.msPerStep.toFixed(0)} | ${x.imagesPerSecond.toFixed(1)} | ${ratio(x)} | ${(x.peakRssBytes / 1e9).toFixed(2)} GB |`),
    '',
  ].join('\n');
}
