/** Fresh-process memory per model (src/bench/memory.ts): sane values, and a bigger model costs more. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { countParameters, measureMemory } from '../../src/bench/memory.js';
import { tinyModel } from '../runtime/tiny-onnx.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-mem-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('fresh-process memory', () => {
  const small = join(dir, 'small.onnx');
  const big = join(dir, 'big.onnx');
  // 3·8·8 × 4 weights (3 KiB) against 3·64·64 × 1024 (48 MiB)
  writeFileSync(small, tinyModel({ c: 3, h: 8, w: 8, classes: 4 }));
  writeFileSync(big, tinyModel({ c: 3, h: 64, w: 64, classes: 1024, weight: (p, k) => ((p * 7 + k) % 13) / 13 }));

  it('counts the float initializer elements', () => {
    assert.equal(countParameters(small), 3 * 8 * 8 * 4);
    assert.equal(countParameters(big), 3 * 64 * 64 * 1024);
  });

  it('reports positive peak RSS, and more for a model with 48 MiB more weights', () => {
    const s = measureMemory(small, { inputName: 'X', input: 'float-nchw', shape: [3, 8, 8] }, 4, { ep: 'cpu' });
    const b = measureMemory(big, { inputName: 'X', input: 'float-nchw', shape: [3, 64, 64] }, 4, { ep: 'cpu' });
    for (const m of [s, b]) {
      assert.equal(m.provider, 'cpu');
      assert.ok(m.baseRssMiB > 10 && m.baseRssMiB < 4096, `base RSS ${m.baseRssMiB} MiB`);
      assert.ok(m.peakRssMiB >= m.baseRssMiB, `peak ${m.peakRssMiB} ≥ base ${m.baseRssMiB}`);
      assert.ok(Number.isFinite(m.arenaGrowthMiB), `arena growth ${m.arenaGrowthMiB}`);
      assert.equal(m.gpu, undefined);
    }
    // the weights are held at least once by onnxruntime: the difference is at least most of 48 MiB
    assert.ok(b.peakRssMiB - s.peakRssMiB > 36, `peak RSS small ${s.peakRssMiB.toFixed(1)} MiB, big ${b.peakRssMiB.toFixed(1)} MiB`);
  });

  it('names the model when the child cannot measure it', () => {
    assert.throws(
      () => measureMemory(join(dir, 'missing.onnx'), { inputName: 'X', input: 'float-nchw', shape: [3, 8, 8] }, 1, { ep: 'cpu' }),
      (e: Error & { code?: string }) => e.code === 'BENCH_MEMORY_FAILED' && e.message.includes('missing.onnx'),
    );
  });
});
