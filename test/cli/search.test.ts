/** `actbench search` end to end on the real digits, with a tiny budget: state, resume, report, export. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { cli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-cli-search-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('actbench search', () => {
  const out = join(dir, 's');
  const args = ['search', '--data', 'mnist', '--threshold', '0', '--population', '2', '--sample', '2', '--epochs', '1', '--limit-train', '200', '--limit-test', '100', '--workers', '2', '--seed', '5', '--out', out];
  it('runs a small search, evaluates ReLU under the same protocol and writes state and report', () => {
    const r = cli(...args, '--budget', '2');
    assert.equal(r.code, 0, r.stderr);
    const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    assert.equal(state.history.length, 2);
    assert.ok(state.history.every((c: { mutation: string }) => c.mutation === 'initial'));
    assert.ok(existsSync(join(out, 'baseline-relu.json')));
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /ReLU under the same protocol: fitness 0\.\d+/);
    assert.match(r.stdout, /best: .* \(fitness .*; ReLU /);
  });
  it('refuses to overwrite a search, and --resume continues it to a larger budget', () => {
    const again = cli(...args, '--budget', '3');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\[OUTPUT_EXISTS\].*already holds a search: pass --resume to continue it, --force/);
    const other = cli(...args, '--budget', '3', '--resume', '--lr', '0.1');
    assert.equal(other.code, 1);
    assert.match(other.stderr, /\[RESUME_MISMATCH\].*\n  lr: stored 0\.05, requested 0\.1/);
    const r = cli(...args, '--budget', '3', '--resume');
    assert.equal(r.code, 0, r.stderr);
    const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    assert.equal(state.history.length, 3);
    assert.notEqual(state.history[2].mutation, 'initial');
  });
  it('exports the top functions as definitions and ONNX graphs', async () => {
    const r = cli('search', 'export', out, '--top', '1');
    assert.equal(r.code, 0, r.stderr);
    const cat = JSON.parse(readFileSync(join(out, 'export', 'catalogue.json'), 'utf8'));
    assert.ok(cat.length <= 1);
    if (cat.length) {
      assert.equal(cat[0].name, 'search_1');
      const s = await ort.InferenceSession.create(join(out, 'export', 'search_1.onnx'));
      const y = await s.run({ X: new ort.Tensor('float32', new Float32Array(1024).fill(0.5), [1, 16, 8, 8]) });
      assert.equal(y.Y.data.length, 1024);
    }
  });
});
