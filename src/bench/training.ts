/**
 * Training speed per TF.js backend: images/s of full train steps (forward, backward, momentum update) at
 * batch 128 for resnet20 (32×32×3) and the small CNN (28×28×1), ReLU, after warm-up steps.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../acts/define.js';
import { createModel } from '../models/registry.js';
import { selectBackend, type BackendName } from '../train/backend.js';
import { machineInfo, machineLine, type MachineInfo } from './machine.js';

export interface TrainingBenchRow {
  backend: BackendName;
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

export async function benchTraining(o: { backends?: BackendName[]; batch?: number; log?: (s: string) => void } = {}): Promise<{ rows: TrainingBenchRow[]; machine: MachineInfo }> {
  const batchSize = o.batch ?? 128;
  const rows: TrainingBenchRow[] = [];
  for (const backend of o.backends ?? (['wasm', 'cpu'] as BackendName[])) {
    try {
      await selectBackend(backend, 'train');
    } catch (e) {
      o.log?.(`${backend}: unavailable (${(e as Error).message})`);
      continue;
    }
    for (const [name, shape] of [['cnn_small', [28, 28, 1]], ['resnet20', [32, 32, 3]]] as const) {
      // the pure-JS backend is ~25–100× slower: one timed step (no warm-up) keeps the suite in minutes
      const [warm, steps] = backend === 'cpu' ? [0, 1] : [2, 6];
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
      rows.push({ backend, model: name, batch, steps, imagesPerSecond: (batch * 1000) / ms, msPerStep: ms });
      o.log?.(`${backend} ${name}: ${((batch * 1000) / ms).toFixed(1)} img/s`);
      tf.dispose([x, y]);
      opt.dispose();
      model.dispose();
    }
  }
  return { rows, machine: machineInfo() };
}

export function trainingBenchMarkdown(r: { rows: TrainingBenchRow[]; machine: MachineInfo }, command: string): string {
  return [
    '# Training speed per TF.js backend',
    '',
    'Full train steps (forward, backward, momentum-SGD update) on random data, ReLU, one process (wasm runs on one',
    'thread in Node). The wasm backend trains only with the kernels actbench registers (`src/train/wasm-kernels.ts`).',
    '',
    `- machine: ${machineLine(r.machine)}`,
    `- command: \`${command}\``,
    '',
    '| backend | model | batch | timed steps | ms / step | images / s |',
    '|---|---|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.backend} | ${x.model} | ${x.batch} | ${x.steps} | ${x.msPerStep.toFixed(0)} | ${x.imagesPerSecond.toFixed(1)} |`),
    '',
  ].join('\n');
}
