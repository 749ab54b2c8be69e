/** `actbench train`, `export`, `models`, `report` as a user runs them, on the real digits of the mnist package. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { runTraining } from '../../src/api/train.js';
import { main } from '../../src/cli/main.js';
import { cli } from '../helpers.js';

/** main() in-process (flag errors need no child process): exit status and what it printed on stderr. */
async function inProcess(...args: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => void lines.push(a.join(' '));
  const exitCode = process.exitCode;
  try {
    return { code: await main(['node', 'actbench', ...args]), stderr: lines.join('\n') };
  } finally {
    console.error = orig;
    process.exitCode = exitCode;
  }
}

function allFiles(d: string): string[] {
  return readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? allFiles(join(d, f)).map((g) => `${f}/${g}`) : [f]));
}

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
  it('bad input: unknown model, unknown dataset, resume without a checkpoint, export of a non-run', async () => {
    const unknown = await inProcess('train', '--model', 'resnet21', '--act', 'relu', '--out', join(dir, 'x'));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown model 'resnet21' \(did you mean/);
    const data = await inProcess('train', '--model', 'mlp', '--act', 'relu', '--data', 'svhn:/nowhere', '--out', join(dir, 'y'));
    assert.equal(data.code, 2, "a --data spec that does not parse is a usage error");
    assert.match(data.stderr, /unknown dataset 'svhn'/);
    const resume = await inProcess('train', '--model', 'mlp', '--act', 'relu', '--resume', '--out', join(dir, 'z'));
    assert.equal(resume.code, 1);
    assert.match(resume.stderr, /no complete checkpoint/);
    const exp = await inProcess('export', dir);
    assert.equal(exp.code, 1);
    assert.match(exp.stderr, /manifest\.json not found/);
  });
  it('flag domains: every train/export/models flag is checked by its parser, exit 2 with a coded message', async () => {
    const t = ['train', '--model', 'mlp', '--act', 'relu', '--out', join(dir, 'flags')];
    const bad: string[][] = [
      ['--seed', '-1'], ['--seed', '2.5'], ['--seed', 'abc'], ['--seed', '4294967296'], ['--schedule', 'foo'], ['--augment', 'foo'],
      ['--dropout', '1'], ['--dropout', '-0.1'], ['--val-fraction', '1'], ['--width', '0'], ['--width', 'abc'], ['--milestones', '0.75,0.5'],
      ['--milestones', '0.5,0.5'], ['--milestones', '0.5,'], ['--label-smoothing', '1'], ['--lr', '0'], ['--lr', 'Infinity'], ['--lr', '1e999'],
      ['--momentum', '1'], ['--batch-size', '0'], ['--batch-size', '2.5'], ['--epochs', '1e3'], ['--limit-train', '0'],
    ];
    for (const flag of bad) {
      const r = await inProcess(...t, ...flag);
      assert.equal(r.code, 2, `${flag.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /\[CLI_BAD_FLAG\]/, flag.join(' '));
      assert.ok(r.stderr.includes(flag[0]), `${flag.join(' ')} names the flag: ${r.stderr}`);
    }
    for (const opset of ['99', '12', '13.5']) {
      const r = await inProcess('export', join(dir, 'run'), '--opset', opset);
      assert.equal(r.code, 2, `--opset ${opset}: ${r.stderr}`);
      assert.match(r.stderr, /--opset expects an integer ≥ 13 ≤ 21/);
    }
    assert.equal((await inProcess('models', '--classes', '1')).code, 2);
    assert.equal(existsSync(join(dir, 'flags')), false, 'nothing written');
  });

  it('width that leaves a layer without channels, a batch that cannot be allocated: coded, exit 2, before any work', async () => {
    const t = ['train', '--model', 'cnn_small', '--act', 'relu', '--backend', 'cpu', '--limit-train', '100', '--out', join(dir, 'sizes')];
    const w = await inProcess(...t, '--batch-size', '50', '--width', '0.001');
    assert.equal(w.code, 2, w.stderr);
    assert.match(w.stderr, /\[MODEL_BAD_WIDTH\].*--width ≥ 0\.015625/);
    const b = await inProcess(...t, '--batch-size', '100000000');
    assert.equal(b.code, 2, b.stderr);
    assert.match(b.stderr, /\[TRAIN_BATCH_TOO_LARGE\].*the limit is 536870912 values \(2 GiB\)/);
    assert.equal(existsSync(join(dir, 'sizes')), false);
  });

  it('a non-finite loss ends with exit 3 and TRAIN_NONFINITE, never a success line', () => {
    const out = join(dir, 'nan');
    const r = cli('train', '--model', 'mlp', '--act', 'fdiv(1, relu(x))', '--epochs', '1', '--batch-size', '50', '--limit-train', '100', '--limit-test', '50',
      '--width', '0.25', '--val-fraction', '0', '--backend', 'wasm', '--out', out);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /actbench: error \[TRAIN_NONFINITE\] \(file .*manifest\.json, field result\.stopped\): training stopped at epoch 1, step 1/);
    assert.doesNotMatch(r.stdout, /wrote|accuracy/);
    assert.ok(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).result.stopped);
  });

  it('SIGTERM during training exits 143 leaving no lock and no partial file; --resume then continues exactly', async () => {
    const flags = ['--model', 'mlp', '--act', 'relu', '--epochs', '3', '--batch-size', '20', '--limit-train', '300', '--limit-test', '50', '--width', '0.25',
      '--val-fraction', '0', '--seed', '5', '--backend', 'wasm'];
    const out = join(dir, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'train', ...flags, '--out', out], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(join(out, 'checkpoint', 'state.json'))) {
          clearInterval(poll);
          child.kill('SIGTERM');
        }
      }, 20);
      child.on('exit', (c) => {
        clearInterval(poll);
        resolve(c);
      });
    });
    assert.equal(code, 143);
    assert.equal(existsSync(join(out, 'manifest.json')), false, 'killed before the end');
    const left = allFiles(out);
    assert.ok(!left.some((f) => f.endsWith('.tmp') || f.endsWith('.actbench.lock')), `left: ${left.join(', ')}`);
    // in-process (the same recipe as the flags, so the resume check must accept it)
    const same = { model: 'mlp', act: 'relu', data: 'mnist', seed: 5, backend: 'wasm' as const, limitTrain: 300, limitTest: 50, width: 0.25, recipe: { epochs: 3, batchSize: 20, valFraction: 0 } };
    await runTraining({ ...same, out, resume: true });
    await runTraining({ ...same, out: join(dir, 'unkilled') });
    assert.ok(readFileSync(join(out, 'weights.bin')).equals(readFileSync(join(dir, 'unkilled', 'weights.bin'))), 'resumed after SIGTERM = uninterrupted');
  });

  it('train --out on a finished run and export --out on its weights are refused; the run is untouched', async () => {
    const weights = readFileSync(join(run, 'weights.bin'));
    const again = await inProcess('train', '--model', 'mlp', '--act', 'relu', '--out', run);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\[TRAIN_EXISTS\].*finished run/);
    const exp = await inProcess('export', run, '--out', join(run, 'weights.bin'));
    assert.equal(exp.code, 1);
    assert.match(exp.stderr, /\[OUTPUT_TOUCHES_INPUT\]/);
    assert.ok(readFileSync(join(run, 'weights.bin')).equals(weights));
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
