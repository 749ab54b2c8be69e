/**
 * benchModels: models take turns, each alone (its session open only for its turn), rotated over the rounds;
 * a small batch fills its turn with runs, so its quantiles rest on many; every record says how many.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { benchModels, DEFAULT_ROUNDS } from '../../src/bench/models.js';
import { tinyModel } from '../runtime/tiny-onnx.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-bench-models-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('benchModels', () => {
  it('turns over the rounds in rotated order; small batches get more timed runs; the records count them', async () => {
    const paths = ['a', 'b'].map((n, k) => {
      const p = join(dir, `${n}.onnx`);
      writeFileSync(p, tinyModel({ c: 1, h: 28, w: 28, classes: 4, weight: (q, c) => Math.cos(q * 0.1 + c + k) }));
      return p;
    });
    const progress: number[] = [];
    const recs = await benchModels(paths, { ep: 'cpu', batches: [1, 64], warmup: 2, reps: 10, memory: false, onProgress: (d, t) => progress.push(d, t) });
    assert.equal(DEFAULT_ROUNDS, 5);
    // one progress step per model, batch and round
    assert.deepEqual(progress.filter((_, i) => i % 2 === 1).slice(0, 1), [5 * 2 * 2]);
    assert.deepEqual(progress.filter((_, i) => i % 2 === 0), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.deepEqual(recs.map((r) => [r.model, r.batch]), [[paths[0], 1], [paths[0], 64], [paths[1], 1], [paths[1], 64]]);
    for (const r of recs) {
      assert.ok(r.reps >= 10, `${r.batch}: at least the runs asked for (${r.reps})`);
      assert.ok(r.latencyMs.p50 > 0 && r.latencyMs.p50 <= r.latencyMs.p90 && r.latencyMs.p90 <= r.latencyMs.p99, JSON.stringify(r.latencyMs));
      assert.ok(Math.abs(r.imagesPerSecond - (r.batch * 1000) / r.latencyMs.p50) < 1e-6 * r.imagesPerSecond);
      assert.equal(r.warmup, 2);
      // one p50 per round, and the overall p50 within their range
      const rounds = r.roundP50Ms as number[];
      assert.equal(rounds.length, 5);
      assert.ok(Math.min(...rounds) <= r.latencyMs.p50 && r.latencyMs.p50 <= Math.max(...rounds), `${r.latencyMs.p50} outside ${rounds.join(', ')}`);
      // CPU per image: positive, and no more than every intra-op thread (plus the main one) busy the whole time
      const cpu = r.cpuMsPerImage as number;
      assert.ok(cpu > 0 && cpu <= ((r.intraOpThreads as number) + 1) * (r.latencyMs.mean / r.batch) * 1.5, `${r.batch}: ${cpu} ms CPU per image, mean ${r.latencyMs.mean} ms per run`);
    }
    // a tiny model at batch 1 runs in microseconds: 50 ms of runs per turn are far more than 10 / 5 rounds
    const one = recs.filter((r) => r.batch === 1);
    for (const r of one) assert.ok(r.reps > 100, `batch-1 runs: ${r.reps}`);
    // a single round, as the settings sweep asks for
    const [single] = await benchModels([paths[0]], { ep: 'cpu', batches: [64], warmup: 1, reps: 3, rounds: 1, memory: false });
    assert.ok(single.reps >= 3);
  });
});
