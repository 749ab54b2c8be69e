/** Hand-made eval and bench records for the report tests: any activations, seeds and accuracies, no training. */
import { CORRUPTIONS } from '../../src/corrupt/presets.js';
import type { BenchRecord, EvalRecord, ResultRecord } from '../../src/results/store.js';

const provenance = { actbench: 'test', machine: 'test', time: '2026-01-01T00:00:00.000Z' };

export interface Model {
  activation: string;
  seed: number;
  /** clean top-1 */
  clean: number;
  /** top-1 under every corruption cell (minus 0.01 per severity, so the curve falls) */
  corrupted: number;
  /** latency p50 at batch 1 (ms); absent: no bench records */
  latency?: number;
}

export function records(models: Model[], o: { dataset?: string } = {}): ResultRecord[] {
  const out: ResultRecord[] = [];
  for (const m of models) {
    const hash = `${m.activation}-${m.seed}`;
    const base = { kind: 'eval' as const, model: `models/${hash}/model.onnx`, modelHash: hash, activation: m.activation, seed: m.seed, dataset: o.dataset ?? 'd', top5: 1, n: 100, nonFinite: 0, provider: 'cpu', requestedProvider: 'cpu', optLevel: 'basic', seconds: 0, provenance };
    out.push({ ...base, corruption: null, severity: null, top1: m.clean } satisfies EvalRecord);
    CORRUPTIONS.forEach((c, k) => {
      for (let s = 1; s <= 5; s++) out.push({ ...base, corruption: c, severity: s, top1: m.corrupted - 0.01 * s + 0.001 * k } satisfies EvalRecord);
    });
    if (m.latency !== undefined) {
      for (const batch of [1, 32]) {
        out.push({
          kind: 'bench', model: base.model, modelHash: hash, activation: m.activation, batch, imagesPerSecond: batch / (m.latency / 1000), latencyMs: { p50: m.latency * batch, p90: m.latency * batch, p99: m.latency * batch, mean: m.latency * batch, cv: 0 },
          sessionCreateMs: 1, firstRunMs: 1, rssMiB: 2, warmup: 1, reps: 2, provider: 'cpu', requestedProvider: 'cpu', optLevel: 'basic', onnxruntime: '1', provenance,
        } satisfies BenchRecord);
      }
    }
  }
  return out;
}
