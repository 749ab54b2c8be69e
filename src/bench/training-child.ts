/**
 * One training-speed measurement in its own process (so peak RSS and the kernel registry belong to one
 * backend): `node --import tsx src/bench/training-child.ts <backend> <model> <batch> <warm> <steps> <profile 0|1>`
 * prints one JSON line (TrainingChildResult).
 */
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../acts/define.js';
import { createModel } from '../models/registry.js';
import { selectBackend, type BackendName } from '../train/backend.js';
import { nativeAddon, nativeThreads } from '../train/native/addon.js';
import { profileKernels, type KernelTime } from './kernel-profile.js';

export interface TrainingChildResult {
  backend: BackendName;
  model: string;
  batch: number;
  steps: number;
  imagesPerSecond: number;
  msPerStep: number;
  /** process CPU seconds per step (all threads) */
  cpuSecondsPerStep: number;
  peakRssMiB: number;
  threads: number;
  /** per-kernel ms per step, when profiled (timed in separate steps after the speed measurement) */
  profile?: KernelTime[];
  /** FLOPs of one step's Conv2D/FusedConv2D, Conv2DBackpropInput, Conv2DBackpropFilter kernels */
  convFlops?: number;
  /** native SGEMM GFLOP/s on 1024³ with the same threads (native only) */
  sgemmGflops?: number;
}

export const SHAPES: Record<string, [number, number, number]> = { cnn_small: [28, 28, 1], resnet20: [32, 32, 3] };

function convFlopsPerStep(model: tf.LayersModel, batch: number): number {
  let macs = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Conv2D') continue;
    const out = layer.outputShape as number[];
    const [kh, kw, cin, cout] = layer.getWeights()[0].shape;
    macs += out[1] * out[2] * kh * kw * cin * cout;
  }
  // forward, input gradient, filter gradient: one multiply-add (2 FLOPs) per MAC each
  return 3 * 2 * macs * batch;
}

function nativeSgemm(): number {
  const a = nativeAddon();
  if (!a) return 0;
  const n = 1024;
  const A = new Float32Array(n * n).map((_, i) => (i % 7) * 0.1);
  const C = new Float32Array(n * n);
  a.matmul(A, A, C, 1, n, n, n, false, false, 1, 1);
  const t0 = performance.now();
  let reps = 0;
  while (performance.now() - t0 < 500) {
    a.matmul(A, A, C, 1, n, n, n, false, false, 1, 1);
    reps++;
  }
  return (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
}

async function main(): Promise<void> {
  const [backend, name, batchS, warmS, stepsS, profS] = process.argv.slice(2);
  const batch = Number(batchS);
  const shape = SHAPES[name];
  await selectBackend(backend as BackendName, 'train');
  const model = createModel(name, { act: resolveActivation('relu'), numClasses: 10, inputShape: [...shape] });
  const opt: tf.Optimizer = tf.train.momentum(0.01, 0.9);
  const x = tf.randomNormal([batch, ...shape]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10).toFloat();
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const step = () =>
    tf.tidy(() => {
      const { grads, value } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
      opt.applyGradients(grads);
      return value.dataSync()[0];
    });
  for (let k = 0; k < Number(warmS); k++) step();
  const steps = Number(stepsS);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < steps; k++) step();
  const ms = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(c0);
  const r: TrainingChildResult = {
    backend: backend as BackendName, model: name, batch, steps, imagesPerSecond: (batch * 1000) / ms, msPerStep: ms,
    cpuSecondsPerStep: (cpu.user + cpu.system) / 1e6 / steps, peakRssMiB: process.resourceUsage().maxRSS / 1024,
    threads: backend === 'native' ? nativeThreads() : 1,
  };
  if (profS === '1') {
    const p = profileKernels(tf.getBackend());
    const ps = Math.max(1, Math.min(steps, 2));
    for (let k = 0; k < ps; k++) step();
    r.profile = p.report().map((k) => ({ kernel: k.kernel, calls: k.calls / ps, ms: k.ms / ps }));
    p.restore();
    r.convFlops = convFlopsPerStep(model, batch);
  }
  if (backend === 'native') r.sgemmGflops = nativeSgemm();
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

await main();
process.exit(0);
