/** The CLI face of setup: coded errors without stack traces, doctor's lines, train --backend tensorflow. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeZip } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-setup-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('actbench setup / doctor', () => {
  const env = { ACTBENCH_HOME: join(dir, 'home'), ACTBENCH_PYTHON: join(dir, 'no-python') };

  it('setup tensorflow --wheel BAD: exit 1, the code and the file, no stack trace', () => {
    const wheel = join(dir, 'bad.whl');
    writeFileSync(wheel, makeZip([{ name: 'tensorflow/__init__.py', data: '' }]));
    const r = run(env, 'setup', 'tensorflow', '--wheel', wheel);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^actbench: error \\[TF_WHEEL_INCOMPATIBLE\\] \\(file ${wheel.replace(/[.]/g, '\\.')}\\): .*lacks tensorflow/libtensorflow_cc\\.so\\.2`));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('--if-possible (the postinstall) prints one line and succeeds; ACTBENCH_SKIP_TENSORFLOW=1 skips', () => {
    const r = run(env, 'setup', 'tensorflow', '--if-possible');
    assert.equal(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /not set up \[TF_NO_PYTHON\].*training will use wasm; retry: npx actbench setup tensorflow/);
    const s = run({ ...env, ACTBENCH_SKIP_TENSORFLOW: '1' }, 'setup', 'tensorflow', '--if-possible');
    assert.equal(s.code, 0);
    assert.match(s.stderr, /ACTBENCH_SKIP_TENSORFLOW=1: not setting up/);
  });

  it('doctor: a line per backend with the fix for what is missing', () => {
    const r = run(env, 'doctor');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const line = (b: string) => lines.findIndex((l) => new RegExp(`^(ok     |missing) ${b} `).test(l));
    for (const b of ['tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu', 'pip']) assert.ok(line(b) >= 0, `${b} in\n${r.stdout}`);
    assert.match(lines[line('tensorflow')], /^missing tensorflow .*libtensorflow is not set up/);
    assert.match(lines[line('tensorflow') + 1], /fix: actbench setup tensorflow$/);
    assert.match(lines[line('tensorflow-gpu') + 1], /fix: actbench setup tensorflow --gpu$/);
    assert.match(lines[line('wasm')], /^ok /);
    assert.match(lines[line('native')], /^ok      native .*actbench_native\.node/);
    assert.match(lines[line('pip')], /^missing pip .*no-python/);
  });

  it('train --backend tensorflow when not set up: TF_NOT_SET_UP with the one command', () => {
    const r = run(env, 'train', '--model', 'mlp', '--act', 'relu', '--data', 'mnist', '--epochs', '1', '--backend', 'tensorflow', '--out', join(dir, 'run'));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\[TF_NOT_SET_UP\] \(field backend\): TF\.js backend 'tensorflow' is not available: libtensorflow is not set up .*Fix: actbench setup tensorflow$/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
