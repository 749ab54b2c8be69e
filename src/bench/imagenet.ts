/**
 * `npm run bench -- imagenet`: deployed speed of the ImageNet-scale zoo at 224×224 — ResNet-50 with relu,
 * la_silu (α = 0.1, the paper's ImageNet setting, applied by the model's defaults) and velu, exported by
 * actbench (uint8 NHWC input, normalisation inside the graph) and benchmarked in turns in one
 * `benchModels` run with the session defaults. Weights are random (seeded): speed does not depend on them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { activationLabel } from '../acts/label.js';
import { countMacs, createModel, resolveModelActivation } from '../models/registry.js';
import type { ExportTarget } from '../acts/onnx.js';
import { exportLayersModel } from '../onnx/export.js';
import type { BenchRecord } from '../results/store.js';
import { DEFAULT_OPT_LEVEL } from '../runtime/session.js';
import { selectBackend } from '../train/backend.js';
import { machineInfo, machineLine } from './machine.js';
import { benchModels } from './models.js';

export interface ImagenetBench {
  model: string;
  rows: { activation: string; macs: number; parameters: number; records: BenchRecord[] }[];
  target: ExportTarget;
  machine: string;
  load: [number[], number[]];
}

const IMAGENET_NORM = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export async function benchImagenet(o: { model?: string; acts?: string[]; batches?: number[]; reps?: number; target?: ExportTarget; log?: (l: string) => void } = {}): Promise<ImagenetBench> {
  const name = o.model ?? 'resnet50';
  const acts = o.acts ?? ['relu', 'la_silu', 'velu'];
  const dir = mkdtempSync(join(tmpdir(), 'actbench-bench-imagenet-'));
  const load0 = loadavg();
  // the graph deployed on the provider benchmarked: the CPU lowering (export --target cpu)
  const target = o.target ?? 'cpu';
  try {
    await selectBackend('auto', 'infer');
    const rows: { activation: string; macs: number; parameters: number; path: string }[] = [];
    for (const a of acts) {
      const { def } = resolveModelActivation(name, a);
      const m = createModel(name, { act: a, numClasses: 1000, inputShape: [224, 224, 3], seed: 1 });
      const path = join(dir, `${name}-${a}.onnx`);
      writeFileSync(path, exportLayersModel(m, { preprocess: IMAGENET_NORM, target }).bytes);
      const parameters = m.trainableWeights.reduce((s, w) => s + (w.shape as number[]).reduce((x, y) => x * y, 1), 0);
      rows.push({ activation: activationLabel(def), macs: countMacs(m), parameters, path });
      m.dispose();
      o.log?.(`exported ${name} × ${activationLabel(def)}`);
    }
    const records = await benchModels(rows.map((r) => r.path), { batches: o.batches ?? [1, 16], warmup: 2, reps: o.reps ?? 10, ep: 'cpu' });
    return {
      model: name,
      rows: rows.map((r) => ({ activation: r.activation, macs: r.macs, parameters: r.parameters, records: records.filter((x) => x.model === r.path) })),
      target,
      machine: machineLine(machineInfo()),
      load: [load0, loadavg()],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function imagenetBenchMarkdown(r: ImagenetBench, command: string): string {
  const relu = r.rows[0];
  const out = [
    `# Deployed speed at ImageNet scale: ${r.model}, 224×224`,
    '',
    `${r.model} exported by actbench with each activation (random seeded weights, uint8 NHWC input with ImageNet's mean/std inside the graph, \`export --target ${r.target}\`), one \`benchModels\` run (each model alone in its turn, rotated over rounds), CPU provider, graph optimisation \`${DEFAULT_OPT_LEVEL}\` and the other session defaults.`,
    '',
    `Machine: ${r.machine}. Load average (1/5/15 min) ${r.load[0].map((v) => v.toFixed(1)).join('/')} at the start, ${r.load[1].map((v) => v.toFixed(1)).join('/')} at the end: other jobs shared the cores, so compare the rows with each other (same run), not with other machines.`,
    '',
    '| activation | parameters | GMACs | batch | img/s | p50 ms | p99 ms | time vs ' + relu.activation + ' | provider |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of r.rows) {
    for (const rec of row.records) {
      const base = relu.records.find((x) => x.batch === rec.batch);
      const ratio = base ? base.imagesPerSecond / rec.imagesPerSecond : NaN;
      out.push(`| ${row.activation} | ${row.parameters.toLocaleString('en-US')} | ${(row.macs / 1e9).toFixed(2)} | ${rec.batch} | ${rec.imagesPerSecond.toFixed(1)} | ${rec.latencyMs.p50.toFixed(1)} | ${rec.latencyMs.p99.toFixed(1)} | ${ratio.toFixed(2)}× | ${rec.provider} |`);
    }
  }
  out.push('', `Reproduce: \`${command}\`. Parity of these exports (≤ 1e-4, 100 % top-1, onnx.checker) is tested in test/models/zoo-imagenet.test.ts.`, '');
  return out.join('\n');
}
