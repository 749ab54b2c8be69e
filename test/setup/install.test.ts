/**
 * setup as a whole, in a private ACTBENCH_HOME: bad wheels and missing pieces leave nothing behind, an
 * interrupted run never leaves a half install, records decide "already done", commits are atomic.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { commit, lock, removeStale } from '../../src/setup/atomic-dir.js';
import { setupTensorflow } from '../../src/setup/install.js';
import { installDir, tensorflowRoot } from '../../src/setup/paths.js';
import { readRecord, staleReason, writeRecord, type SetupRecord } from '../../src/setup/record.js';
import { fakePython, makeZip } from './fixtures.js';
import { coded } from '../coded.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-setup-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const home = (name: string) => ({ ...process.env, ACTBENCH_HOME: join(dir, name) });
/** what is left in the tensorflow folder of a home (leftover temp dirs, locks, installs) */
const leftovers = (env: NodeJS.ProcessEnv) => (existsSync(tensorflowRoot(env)) ? readdirSync(tensorflowRoot(env)).sort() : []);

const fakeLibs = [
  { name: 'tensorflow/libtensorflow_cc.so.2', data: 'not an ELF file' },
  { name: 'tensorflow/libtensorflow_framework.so.2', data: 'not an ELF file either' },
];

describe('setup tensorflow end to end (no real wheel)', () => {
  it('a wheel without the C-API libraries: TF_WHEEL_INCOMPATIBLE, nothing left behind', async () => {
    const env = home('bad');
    const wheel = join(dir, 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl');
    writeFileSync(wheel, makeZip([{ name: 'tensorflow/__init__.py', data: '' }, { name: 'tensorflow/python/_pywrap.so', data: 'x' }]));
    await assert.rejects(setupTensorflow({ wheel, env }), coded('TF_WHEEL_INCOMPATIBLE', /libtensorflow_cc\.so\.2 and tensorflow\/libtensorflow_framework\.so\.2/));
    assert.deepEqual(leftovers(env), []);
  });

  it('--wheel naming a missing file: TF_WHEEL_MISSING', async () => {
    const env = home('missing');
    await assert.rejects(setupTensorflow({ wheel: join(dir, 'absent.whl'), env }), coded('TF_WHEEL_MISSING', /absent\.whl/));
    assert.deepEqual(leftovers(env), []);
  });

  it('libraries that do not build: TF_BUILD_FAILED with the linker output, nothing installed', async () => {
    const env = home('nobuild');
    const inc = 'tensorflow/include/tensorflow/c/';
    const wheel = join(dir, 'fake-libs.whl');
    writeFileSync(wheel, makeZip([...fakeLibs, { name: `${inc}c_api.h`, data: '' }, { name: `${inc}eager/c_api.h`, data: '' }]));
    await assert.rejects(setupTensorflow({ wheel, env }), coded('TF_BUILD_FAILED'));
    assert.deepEqual(leftovers(env), []);
  });

  it('--gpu with a CPU wheel: TF_WHEEL_INCOMPATIBLE naming the and-cuda extra', async () => {
    const env = home('gpu-cpuwheel');
    const wheel = join(dir, 'cpu-as-gpu.whl');
    writeFileSync(wheel, makeZip([...fakeLibs, { name: 'tensorflow_cpu-2.21.0.dist-info/METADATA', data: 'Name: tensorflow-cpu\nRequires-Dist: numpy>=1.26\n' }]));
    await assert.rejects(setupTensorflow({ gpu: true, wheel, env }), coded('TF_WHEEL_INCOMPATIBLE', /'and-cuda' extra: --gpu needs the CUDA-enabled 'tensorflow' wheel/));
    assert.deepEqual(leftovers(env), []);
  });

  it('--gpu asks pip for the CUDA-enabled tensorflow wheel, then for its NVIDIA wheels', async () => {
    const env = home('gpu-pip');
    const wheel = join(dir, 'tensorflow-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl');
    writeFileSync(wheel, makeZip([...fakeLibs, { name: 'tensorflow-2.21.0.dist-info/METADATA', data: 'Name: tensorflow\nRequires-Dist: nvidia-cublas-cu12==12.5.3.2; extra == "and-cuda"\n' }]));
    const offline = fakePython(join(dir, 'py-offline'), 'offline');
    await assert.rejects(setupTensorflow({ gpu: true, env: { ...env, ACTBENCH_PYTHON: offline } }), coded('TF_PIP_NO_INDEX', /^pip could not reach a package index that has tensorflow==2\.21\.0/));
    // the tensorflow wheel comes from --wheel, the NVIDIA one from pip, which has none
    const nomatch = fakePython(join(dir, 'py-nomatch'), 'nomatch');
    await assert.rejects(setupTensorflow({ gpu: true, wheel, env: { ...env, ACTBENCH_PYTHON: nomatch } }), coded('TF_WHEEL_NOT_FOUND', /nvidia-cublas-cu12==12\.5\.3\.2/));
    assert.deepEqual(leftovers(env), []);
  });

  it('no python: TF_NO_PYTHON before anything is downloaded', async () => {
    const env = { ...home('nopy'), ACTBENCH_PYTHON: join(dir, 'no-python') };
    await assert.rejects(setupTensorflow({ env }), coded('TF_NO_PYTHON'));
    assert.deepEqual(leftovers(env), []);
  });

  it('a killed setup leaves no install; the next run removes its leftovers', async () => {
    const env = { ...home('killed'), ACTBENCH_PYTHON: fakePython(join(dir, 'py-sleep'), 'sleep') };
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', "import('./src/setup/install.ts').then((m) => m.setupTensorflow())"], { env, stdio: 'ignore' });
    const root = tensorflowRoot(env);
    const t0 = Date.now();
    while (!leftovers(env).some((n) => n.startsWith('.tmp-cpu-')) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
    assert.ok(leftovers(env).some((n) => n.startsWith('.tmp-cpu-')), 'setup got as far as its temp dir');
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    assert.equal(existsSync(installDir('cpu', env)), false);
    assert.equal(readRecord(installDir('cpu', env)), null);
    // the next run (here failing on a bad wheel) takes over the stale lock and removes the temp dir
    const bad = join(dir, 'bad2.whl');
    writeFileSync(bad, makeZip([{ name: 'x', data: '' }]));
    await assert.rejects(setupTensorflow({ wheel: bad, env }), coded('TF_WHEEL_INCOMPATIBLE'));
    assert.deepEqual(readdirSync(root), []);
  });
});

describe('install directories', () => {
  it('commit replaces an old install in one rename and leaves no .old copy', () => {
    const root = join(dir, 'commit');
    const target = join(root, 'cpu');
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'v'), '1');
    const tmp = join(root, `.tmp-cpu-${process.pid}-x`);
    mkdirSync(tmp);
    writeFileSync(join(tmp, 'v'), '2');
    commit(tmp, target);
    assert.deepEqual(readdirSync(root), ['cpu']);
    assert.deepEqual(readdirSync(target), ['v']);
  });

  it('leftovers of live processes are kept, of dead ones removed', () => {
    const root = join(dir, 'stale');
    mkdirSync(join(root, `.tmp-cpu-${process.pid}-a`), { recursive: true });
    mkdirSync(join(root, '.tmp-cpu-999999999-b'));
    mkdirSync(join(root, '.old-gpu-999999999-1'));
    mkdirSync(join(root, 'cpu'));
    assert.deepEqual(removeStale(root).sort(), ['.old-gpu-999999999-1', '.tmp-cpu-999999999-b']);
    assert.deepEqual(readdirSync(root).sort(), [`.tmp-cpu-${process.pid}-a`, 'cpu']);
  });

  it('a second setup of the same variant is refused while the first runs', () => {
    const target = join(dir, 'locked', 'cpu');
    const release = lock(target);
    writeFileSync(join(dir, 'locked', '.lock-cpu'), String(process.ppid)); // held by a live process
    assert.throws(() => lock(target), coded('TF_SETUP_BUSY', /another setup \(pid \d+\)/));
    release();
    assert.equal(existsSync(join(dir, 'locked', '.lock-cpu')), false);
  });
});

describe('the record decides "already done"', () => {
  const target = join(dir, 'rec', 'cpu');
  const rec: SetupRecord = {
    schema: 1, variant: 'cpu',
    tensorflow: { project: 'tensorflow-cpu', version: '2.21.0', wheel: 'w.whl', wheelBytes: 1, cudaWheels: [] },
    tfjsNode: { package: '@tensorflow/tfjs-node', version: '4.22.0', napi: 8 },
    node: { version: process.version, napi: '9' },
    files: { binding: 'lib/napi-v8/tfjs_binding.node', libraries: ['deps/lib/libtensorflow_cc.so.2'], headers: 3, bytes: 10 },
    check: { tfVersion: '2.21.0', matMul: [19, 22, 43, 50], backend: 'tensorflow', gpu: false },
    seconds: { download: 0, unpack: 0, build: 0, check: 0 }, created: '2026-12-02T00:00:00Z',
  };
  const want = { variant: 'cpu' as const, version: '2.21.0', tfjsNodeVersion: '4.22.0', napi: 8 };

  it('current only when versions match and the files are there', () => {
    mkdirSync(join(target, 'lib', 'napi-v8'), { recursive: true });
    mkdirSync(join(target, 'deps', 'lib'), { recursive: true });
    writeRecord(target, rec);
    assert.match(staleReason(target, readRecord(target), want) ?? '', /lib\/napi-v8\/tfjs_binding\.node is missing/);
    writeFileSync(join(target, 'lib', 'napi-v8', 'tfjs_binding.node'), '');
    assert.match(staleReason(target, readRecord(target), want) ?? '', /deps\/lib\/libtensorflow_cc\.so\.2 is missing/);
    writeFileSync(join(target, 'deps', 'lib', 'libtensorflow_cc.so.2'), '');
    assert.equal(staleReason(target, readRecord(target), want), null);
    assert.match(staleReason(target, readRecord(target), { ...want, version: '2.22.0' }) ?? '', /built for TensorFlow 2\.21\.0, wanted 2\.22\.0/);
    assert.match(staleReason(target, readRecord(target), { ...want, tfjsNodeVersion: '4.23.0' }) ?? '', /node_modules has 4\.23\.0/);
    assert.match(staleReason(target, readRecord(target), { ...want, napi: 9 }) ?? '', /N-API 8/);
  });

  it('an unreadable record means "not set up"', () => {
    writeFileSync(join(target, 'record.json'), '{ half');
    assert.equal(readRecord(target), null);
    assert.equal(staleReason(target, null, want), 'not set up');
  });
});
