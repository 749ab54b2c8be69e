/**
 * The onnxruntime 1.30 SkipLayerNormFusion crash (a LayerNormalization with an explicit empty bias input
 * after an Add segfaults session creation at 'extended'/'all'): session.ts detects the pattern and switches
 * that one optimizer off; our own exporter never writes the pattern. Sessions run in child processes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CATALOGUE } from '../../src/acts/catalogue.js';
import { resolveActivation } from '../../src/acts/define.js';
import { EXPORT_TARGETS } from '../../src/acts/onnx.js';
import { activationModel } from '../../src/onnx/activation-model.js';
import { decodeModel, encodeModel, makeGraph, makeModel, makeValueInfo } from '../../src/onnx/writer.js';
import { DEFAULT_OPT_LEVEL, hasSkipLayerNormCrashPattern } from '../../src/runtime/session.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-skipln-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Y = LayerNorm(X + B) over the last axis, scale 1, bias given as '' (the crash pattern) or absent. */
function addLayerNorm(emptyBias: boolean): Uint8Array {
  const graph = makeGraph({
    name: 'skipln',
    fragments: [{
      nodes: [
        { opType: 'Add', name: 'add', inputs: ['X', 'B'], outputs: ['s'], attributes: {} },
        { opType: 'LayerNormalization', name: 'ln', inputs: emptyBias ? ['s', 'scale', ''] : ['s', 'scale'], outputs: ['Y'], attributes: { axis: { type: 'int', value: -1 } } },
      ],
      initializers: [
        { name: 'B', dims: [8], data: Float32Array.from({ length: 8 }, (_, k) => k / 8) },
        { name: 'scale', dims: [8], data: new Float32Array(8).fill(1) },
      ],
    }],
    inputs: [makeValueInfo('X', [2, 4, 8])],
    outputs: [makeValueInfo('Y', [2, 4, 8])],
  });
  return encodeModel(makeModel(graph, { opset: 17 }));
}

function child(file: string, level: string, raw = false) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'skip-layernorm-child.ts'), file, level, ...(raw ? ['raw'] : [])], { encoding: 'utf8', timeout: 60_000 });
}

/** the reference: layer norm of x + b per row of 8 (biased variance, ε = 1e-5) */
function reference(): number[] {
  const out: number[] = [];
  for (let r = 0; r < 8; r++) {
    const v = Array.from({ length: 8 }, (_, k) => Math.sin(r * 8 + k) + k / 8);
    const m = v.reduce((a, b) => a + b, 0) / 8;
    const s2 = v.reduce((a, b) => a + (b - m) ** 2, 0) / 8;
    out.push(...v.map((x) => (x - m) / Math.sqrt(s2 + 1e-5)));
  }
  return out;
}

describe('SkipLayerNormFusion crash guard', () => {
  it('the default level is all', () => assert.equal(DEFAULT_OPT_LEVEL, 'all'));

  it('detects the pattern, and only the pattern', () => {
    assert.equal(hasSkipLayerNormCrashPattern(addLayerNorm(true)), true);
    assert.equal(hasSkipLayerNormCrashPattern(addLayerNorm(false)), false);
    assert.equal(hasSkipLayerNormCrashPattern(new Uint8Array([1, 2, 3])), false);
  });

  it('a model with the pattern runs at all (optimizer disabled, output correct) where plain onnxruntime crashes', () => {
    const file = join(dir, 'crash.onnx');
    writeFileSync(file, addLayerNorm(true));
    const r = child(file, 'all');
    assert.equal(r.status, 0, `child exited ${r.status} (signal ${r.signal}): ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { optLevel: string; disabledOptimizers: string[]; y: number[] };
    assert.equal(out.optLevel, 'all');
    assert.deepEqual(out.disabledOptimizers, ['SkipLayerNormFusion']);
    const ref = reference();
    assert.ok(out.y.every((v, k) => Math.abs(v - ref[k]) < 1e-4), `LayerNorm output differs: ${out.y.slice(0, 4)} vs ${ref.slice(0, 4)}`);
    // the guard is what saves it: unguarded, onnxruntime 1.30 dies with SIGSEGV (when a later version
    // fixes the fusion this turns into a plain success and the guard can go)
    const raw = child(file, 'all', true);
    assert.ok(raw.signal === 'SIGSEGV' || raw.status === 0, `unexpected unguarded result ${raw.status}/${raw.signal}`);
  });

  it('a model without the pattern keeps every optimizer', () => {
    const file = join(dir, 'fine.onnx');
    writeFileSync(file, addLayerNorm(false));
    const r = child(file, 'all');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { disabledOptimizers: string[] }).disabledOptimizers, []);
  });

  it('our exporter never writes an empty optional input (every catalogue entry, every target)', () => {
    for (const e of CATALOGUE) {
      for (const target of EXPORT_TARGETS) {
        const m = decodeModel(activationModel(resolveActivation(e.name), { shape: [2, 4, 3, 3], opset: 17, target }));
        for (const n of m.graph?.node ?? []) assert.ok(!(n.input ?? []).includes(''), `${e.name} (${target}): ${n.opType} has an empty input`);
      }
    }
  });
});
