/**
 * Every exported activation graph — the whole catalogue and every operator — passes
 * onnx.checker.check_model(full_check=True) and strict shape inference from Debian's python3-onnx
 * (opset 17, IR 8). CI sets ACTBENCH_REQUIRE_ONNX_CHECKER=1 so a missing checker fails instead of skipping.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CATALOGUE } from '../../src/acts/catalogue.js';
import { resolveActivation } from '../../src/acts/define.js';
import { OPS } from '../../src/acts/ops.js';
import { activationModel } from '../../src/onnx/activation-model.js';
import { checkModels, findOnnxPython } from '../../src/onnx/checker.js';
import { decodeModel, irVersionFor } from '../../src/onnx/writer.js';

const required = process.env.ACTBENCH_REQUIRE_ONNX_CHECKER === '1';
const dir = mkdtempSync(join(tmpdir(), 'actbench-checker-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function specs(): string[] {
  const ops = [...OPS.values()]
    .filter((o) => o.group !== 'binary' && o.group !== 'layer')
    .map((o) => (o.name === 'clip' ? 'clip(x, -1, 2)' : `${o.name}(x)`));
  const binary = ['add', 'sub', 'mul', 'div', 'fdiv', 'pow', 'max', 'min', 'prelu'].map((b) => `${b}(x, a)`);
  return [...CATALOGUE.map((e) => e.name), ...ops, ...binary, 'where_gt(x, x, -x)', 'lmean(x)', 'cmean(x)', 'lnorm(x)'];
}

describe('ONNX checker (python3-onnx)', () => {
  it('is available when CI requires it', () => {
    if (required) assert.ok(findOnnxPython(), 'python3-onnx is required (ACTBENCH_REQUIRE_ONNX_CHECKER=1) but no python can import onnx');
  });

  const variants: { label: string; shape: number[]; cudaSafe?: boolean; dynamicBatch?: boolean; opset: number }[] = [
    { label: 'NCHW [N,8,5,5] dynamic batch, CUDA-safe, opset 17', shape: [2, 8, 5, 5], dynamicBatch: true, opset: 17 },
    { label: 'NCHW [4,3,6,6], native ops, opset 13', shape: [4, 3, 6, 6], cudaSafe: false, opset: 13 },
    { label: 'rank 2 [3,10] (after a dense layer), opset 17', shape: [3, 10], opset: 17 },
  ];
  for (const v of variants) {
    it(`every catalogue entry and operator passes full_check + strict shape inference: ${v.label}`, (t) => {
      if (!findOnnxPython()) {
        t.skip('python3-onnx not installed');
        return;
      }
      const files = specs().map((spec, k) => {
        const bytes = activationModel(resolveActivation(spec), { shape: v.shape, opset: v.opset, cudaSafe: v.cudaSafe, dynamicBatch: v.dynamicBatch });
        const m = decodeModel(bytes);
        assert.equal(Number(m.irVersion), irVersionFor(v.opset));
        assert.equal(Number(m.opsetImport[0].version), v.opset);
        const f = join(dir, `${v.opset}-${k}.onnx`);
        writeFileSync(f, bytes);
        return { spec, f };
      });
      const r = checkModels(files.map((x) => x.f));
      assert.ok(r);
      const failures = r.results.filter((x) => !x.ok).map((x) => `${files.find((y) => y.f === x.file)?.spec}: ${x.error}`);
      assert.deepEqual(failures, []);
      assert.equal(r.results.length, files.length);
    });
  }

  it('rejects a broken model (the check can fail)', (t) => {
    if (!findOnnxPython()) {
      t.skip('python3-onnx not installed');
      return;
    }
    const f = join(dir, 'broken.onnx');
    writeFileSync(f, new Uint8Array([8, 8, 18, 3, 1, 2, 3]));
    const r = checkModels([f]);
    assert.equal(r?.results[0].ok, false);
  });
});
