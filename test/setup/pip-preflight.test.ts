/** pip and toolchain discovery: each thing that can be missing gets its own coded error. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { downloadWheel, findPython, platformTags, pythonVersions } from '../../src/setup/pip.js';
import { ensureDisk, findCompiler, findNodeGyp, findNodeHeaders } from '../../src/setup/preflight.js';
import { fakePython } from './fixtures.js';
import { coded } from '../coded.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-pip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('python and pip', () => {
  it('no python at all: TF_NO_PYTHON, saying what was tried and the --wheel way out', () => {
    assert.throws(() => findPython({ ACTBENCH_PYTHON: join(dir, 'nope') }), coded('TF_NO_PYTHON', /nope.*--wheel FILE/));
  });

  it('python without pip: TF_NO_PIP', () => {
    const py = fakePython(join(dir, 'nopip'), 'none');
    assert.throws(() => findPython({ ACTBENCH_PYTHON: py }), coded('TF_NO_PIP', /No module named pip/));
  });

  it('finds a working pip and reports its version', () => {
    const py = fakePython(join(dir, 'ok'), 'nomatch');
    assert.deepEqual(findPython({ ACTBENCH_PYTHON: py }), { command: py, version: '3.11', pip: 'pip 99.0 from /fake (python 3.11)' });
  });

  it('an unreachable index: TF_PIP_NO_INDEX after asking for every Python version', async () => {
    const home = join(dir, 'offline');
    const py = fakePython(home, 'offline');
    mkdirSync(join(home, 'dl'));
    await assert.rejects(downloadWheel(findPython({ ACTBENCH_PYTHON: py }), 'tensorflow-cpu==2.21.0', join(home, 'dl')), coded('TF_PIP_NO_INDEX', /tensorflow-cpu==2\.21\.0.*--wheel FILE/));
    const calls = readFileSync(join(home, 'calls.log'), 'utf8').trim().split('\n');
    assert.deepEqual(calls.map((c) => /--python-version (\S+)/.exec(c)?.[1]), pythonVersions('3.11'));
    // the platform asked for is this machine's, not the interpreter's: every manylinux tag down to 2_17
    assert.match(calls[0], /--no-deps --only-binary=:all: --platform manylinux_2_\d+_x86_64 .*--platform manylinux2014_x86_64/);
  });

  it('an index without the wheel: TF_WHEEL_NOT_FOUND', async () => {
    const home = join(dir, 'nomatch');
    const py = fakePython(home, 'nomatch');
    mkdirSync(join(home, 'dl'));
    await assert.rejects(downloadWheel(findPython({ ACTBENCH_PYTHON: py }), 'tensorflow==2.21.0', join(home, 'dl')), coded('TF_WHEEL_NOT_FOUND', /tensorflow==2\.21\.0/));
  });

  it('manylinux tags cover every glibc from the machine down to 2.17', () => {
    const t = platformTags('2.36', 'x64');
    assert.equal(t[0], 'manylinux_2_36_x86_64');
    assert.ok(t.includes('manylinux_2_27_x86_64'));
    assert.equal(t.at(-2), 'manylinux_2_17_x86_64');
    assert.equal(t.at(-1), 'manylinux2014_x86_64');
    assert.equal(t.length, 36 - 17 + 2);
  });
});

describe('toolchain', () => {
  it('no compiler: TF_NO_COMPILER naming it', () => {
    assert.throws(() => findCompiler({ CXX: join(dir, 'no-c++') }), coded('TF_NO_COMPILER', /no-c\+\+/));
    assert.throws(() => findCompiler({ CXX: 'true', MAKE: join(dir, 'no-make') }), coded('TF_NO_COMPILER', /no-make/));
  });

  it("no Node headers: TF_NO_NODE_HEADERS with the missing file and the version wanted", () => {
    assert.throws(() => findNodeHeaders({ npm_config_nodedir: dir }), (e: Error & { code?: string; file?: string }) => e.code === 'TF_NO_NODE_HEADERS' && e.file === join(dir, 'include', 'node', 'node_api.h') && e.message.includes(process.version));
  });

  it('too little disk: TF_DISK_SPACE says how much is needed', () => {
    assert.throws(() => ensureDisk(dir, 1e18, 'setup'), coded('TF_DISK_SPACE', /needs 1000000000000 MB free/));
    ensureDisk(dir, 1, 'setup');
  });

  it('node-gyp is found without network (npm ships one)', () => {
    assert.match(findNodeGyp({ PATH: process.env.PATH }), /node-gyp\.js$/);
  });
});
