/** `actbench train`, `export`, `models`, `report` as a user runs them, on the real digits of the mnist package. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { cli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-cli-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));


describe('actbench train → export → report', () => {
  const run = join(dir, 'run');
  it('trains a small CNN on real digits and writes model, log and manifest', () => {
    const r = cli('train', '--model', 'cnn_small', '--act', 'la_silu', '--data', 'mnist', '--epochs', '1', '--batch-size', '32',
      '--limit-train', '320', '--limit-test', '200', '--width', '0.5', '--lr', '0.05', '--seed', '3', '--backend', 'wasm', '--out', run);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /TF\.js backend: wasm/);
    for (const f of ['model.json', 'weights.bin', 'manifest.json', 'log.jsonl']) assert.ok(existsSync(join(run, f)), f);
    assert.equal(existsSync(join(run, 'checkpoint')), false, 'a finished run removes its checkpoint');
    const m = JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8'));
    assert.equal(m.activation.name, 'la_silu');
    assert.equal(m.activation.constants.alpha, 1e-5);
    assert.ok(Math.abs(m.dataset.train - 320) <= 10, `${m.dataset.train} training images`); // stratified: rounded per class
    assert.equal(m.seed, 3);
    assert.equal(m.backend, 'wasm');
    assert.ok(m.result.testAcc > 0.3, `test acc ${m.result.testAcc}`); // 10 classes: chance is 0.1
    assert.equal(m.normalisation.mean.length, 1);
  });
  it('exports it with the preprocessing in the graph, validated on real and noisy digits', async () => {
    const r = cli('export', run, '--uint8-input', '--images', '64');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /clean: 64 test images, max \|Δlogit\| .*top-1 agreement 100\.00 %/);
    const s = await ort.InferenceSession.create(join(run, 'model.onnx'));
    assert.deepEqual(s.inputNames, ['image_uint8']);
    const out = await s.run({ image_uint8: new ort.Tensor('uint8', new Uint8Array(2 * 784), [2, 28, 28, 1]) });
    assert.deepEqual(out.logits.dims, [2, 10]);
    const e = JSON.parse(readFileSync(join(run, 'export.json'), 'utf8'));
    assert.equal(e.clean.top1Agreement, 1);
  });
  it('report tabulates the run', () => {
    const out = join(dir, 'runs.md');
    const r = cli('report', '--runs', run, '--out', out, '--title', 'Test');
    assert.equal(r.code, 0, r.stderr);
    const md = readFileSync(out, 'utf8');
    assert.match(md, /^# Test/);
    assert.match(md, /\| la_silu \| \d+\.\d\d \|/);
  });
  it('bad input: unknown model, unknown dataset, resume without a checkpoint, export of a non-run', () => {
    const unknown = cli('train', '--model', 'resnet21', '--act', 'relu', '--out', join(dir, 'x'));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown model 'resnet21' \(did you mean/);
    const data = cli('train', '--model', 'mlp', '--act', 'relu', '--data', 'svhn:/nowhere', '--out', join(dir, 'y'));
    assert.equal(data.code, 1);
    assert.match(data.stderr, /unknown dataset 'svhn'/);
    const resume = cli('train', '--model', 'mlp', '--act', 'relu', '--resume', '--out', join(dir, 'z'));
    assert.equal(resume.code, 1);
    assert.match(resume.stderr, /no complete checkpoint/);
    const exp = cli('export', dir);
    assert.equal(exp.code, 1);
    assert.match(exp.stderr, /manifest\.json not found/);
  });
  it('models lists the zoo with parameter counts', () => {
    const r = cli('models', '--json');
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { name: string; params: number; macs: number }[];
    const p = Object.fromEntries(rows.map((x) => [x.name, x.params]));
    assert.ok(Math.abs(p.resnet20 - 0.27e6) < 0.01e6, `resnet20 ${p.resnet20}`);
    assert.ok(Math.abs(p.resnet110 - 1.73e6) < 0.02e6);
    assert.ok(Math.abs(p.wrn_16_8 - 11.0e6) < 0.1e6);
    assert.ok(rows.every((x) => x.macs > 0));
  });
});
