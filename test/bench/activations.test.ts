/** benchActivations: each activation alone in its turns, the requested number of timed runs, ratios to ReLU. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchActivations } from '../../src/bench/activations.js';

describe('benchActivations', () => {
  it('rows per activation and variant, relu = 1, quantiles ordered; progress once per turn', async () => {
    const progress: [number, number][] = [];
    const r = await benchActivations({ activations: ['relu', 'velu'], shape: [2, 4, 8, 8], rounds: 7, warmup: 1, threads: 1, onProgress: (d, t) => progress.push([d, t]) });
    // velu has a CUDA-safe and a native graph; relu one
    assert.deepEqual(r.rows.map((x) => [x.name, x.variant]), [['relu', 'cuda-safe'], ['velu', 'cuda-safe'], ['velu', 'native']]);
    assert.equal(r.rows[0].relToRelu, 1);
    for (const x of r.rows) {
      assert.ok(x.minMs > 0 && x.minMs <= x.p50ms && x.p50ms <= x.p90ms, JSON.stringify(x));
      assert.ok(x.nodes >= 1);
    }
    assert.ok(r.rows[1].nodes > r.rows[2].nodes, 'the CUDA-safe VeLU graph has more nodes than the native one');
    // 7 runs in 5 turns per activation: 3 activation graphs × 5 turns
    assert.deepEqual(progress.map(([d]) => d), Array.from({ length: 15 }, (_, i) => i + 1));
    assert.ok(progress.every(([, t]) => t === 15));
    assert.equal(r.provider, 'cpu');
  });
});
