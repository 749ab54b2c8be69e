/** The onnxruntime profile parser (src/bench/ort-profile.ts) on a real trace of a tiny model and on a hand-made one. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { mergeProfiles, parseOrtProfile, profileFloor, profileModel, profileModels, type OrtProfile } from '../../src/bench/ort-profile.js';
import { peakFlops } from '../../src/bench/machine.js';
import { nativeAddon, nativeUnavailableReason } from '../../src/train/native/addon.js';
import { tinyModel } from '../runtime/tiny-onnx.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-prof-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('onnxruntime profiles', () => {
  it('a real trace: every node of the tiny model, per run, shares summing to 1', async () => {
    const path = join(dir, 'tiny.onnx');
    writeFileSync(path, tinyModel({ c: 3, h: 16, w: 16, classes: 8 }));
    const x = new ort.Tensor('float32', Float32Array.from({ length: 4 * 3 * 16 * 16 }, (_, k) => Math.sin(k)), [4, 3, 16, 16]);
    const p = await profileModel(path, { X: x }, { runs: 3, warmup: 1, session: { ep: 'cpu', optLevel: 'basic' } });
    assert.equal(p.runs, 3);
    assert.deepEqual(p.ops.map((o) => o.op).sort(), ['Flatten', 'MatMul']);
    for (const o of p.ops) {
      assert.equal(o.nodes, 1, `${o.op}: one node per run`);
      assert.equal(o.provider, 'CPUExecutionProvider');
      assert.ok(o.ms >= 0);
    }
    assert.ok(Math.abs(p.ops.reduce((a, o) => a + o.share, 0) - 1) < 1e-9);
    assert.ok(p.ops[0].ms >= p.ops[1].ms, 'sorted by time');
    assert.ok(p.kernelMs > 0 && p.runMs >= p.kernelMs * 0.5, `kernel ${p.kernelMs} ms, run ${p.runMs} ms`);
    assert.ok(p.arenaHeldMiB !== null && p.arenaHeldMiB > 0);
  });

  it('several models in turns: their turns\' traces merged, every node of each model per run', async () => {
    const paths = [8, 4].map((classes) => {
      const path = join(dir, `tiny-${classes}.onnx`);
      writeFileSync(path, tinyModel({ c: 3, h: 8, w: 8, classes }));
      return path;
    });
    const x = new ort.Tensor('float32', Float32Array.from({ length: 2 * 3 * 8 * 8 }, (_, k) => Math.cos(k)), [2, 3, 8, 8]);
    // 5 runs over 2 rounds: 3 + 2 runs per model
    const ps = await profileModels(paths, { X: x }, { runs: 5, warmup: 1, rounds: 2, session: { ep: 'cpu', optLevel: 'basic' } });
    assert.equal(ps.length, 2);
    for (const p of ps) {
      assert.equal(p.runs, 5);
      assert.ok(Math.abs(p.ops.reduce((a, o) => a + o.share, 0) - 1) < 1e-9);
      assert.deepEqual(p.ops.map((o) => [o.op, o.nodes]).sort(), [['Flatten', 1], ['MatMul', 1]]);
    }
  });
  it('merging turns: per op type the median over the turns, so one slow turn does not move it', () => {
    const turn = (runs: number, runMs: number, held: number | null, ops: [string, number, number][]): OrtProfile => {
      const kernelMs = ops.reduce((a, [, ms]) => a + ms, 0);
      return { runs, kernelMs, runMs, arenaHeldMiB: held, ops: ops.map(([op, ms, nodes]) => ({ op, provider: 'CPU', ms, share: ms / kernelMs, nodes })) };
    };
    const m = mergeProfiles([
      turn(1, 5, 2, [['Conv', 3, 2], ['Relu', 1, 1]]),
      turn(3, 9, null, [['Conv', 7, 2], ['Add', 1, 1]]),
      turn(2, 50, 4, [['Conv', 40, 2], ['Relu', 2, 1], ['Add', 3, 1]]), // a turn the machine slowed
    ]);
    assert.equal(m.runs, 6);
    assert.equal(m.runMs, 9);
    // Conv: median of 3, 7, 40; Relu of 1, 0, 2; Add of 0, 1, 3
    assert.deepEqual(m.ops.map((o) => [o.op, o.ms, o.nodes]), [['Conv', 7, 2], ['Relu', 1, 1], ['Add', 1, 1]]);
    assert.equal(m.kernelMs, 9);
    assert.ok(Math.abs(m.ops[0].share - 7 / 9) < 1e-12);
    assert.equal(m.arenaHeldMiB, 4);
  });
  it('a hand-made trace: warm-up runs left out, times per run', () => {
    const ev = (name: string, ts: number, dur: number, op?: string) =>
      op ? { cat: 'Node', name: `${name}_kernel_time`, ts, dur, args: { op_name: op, provider: 'CPUExecutionProvider', mem_arena_held: '2097152' } } : { cat: 'Session', name, ts, dur, args: {} };
    const trace = [
      ev('session_initialization', 0, 50),
      // run 0 (warm-up): 1000 µs of Conv
      ev('model_run', 100, 1100), ev('c', 110, 1000, 'Conv'),
      // runs 1 and 2
      ev('model_run', 2000, 400), ev('c', 2010, 300, 'Conv'), ev('r', 2310, 100, 'Relu'),
      ev('model_run', 3000, 600), ev('c', 3010, 500, 'Conv'), ev('r', 3510, 100, 'Relu'),
    ];
    const p = parseOrtProfile(JSON.stringify(trace), { skipRuns: 1 });
    assert.equal(p.runs, 2);
    assert.deepEqual(p.ops.map((o) => [o.op, o.ms, o.nodes]), [['Conv', 0.4, 1], ['Relu', 0.1, 1]]);
    assert.ok(Math.abs(p.ops[0].share - 0.8) < 1e-12);
    assert.equal(p.kernelMs, 0.5);
    assert.equal(p.runMs, 0.5);
    assert.equal(p.arenaHeldMiB, 2);
    assert.throws(() => parseOrtProfile(JSON.stringify(trace), { skipRuns: 3 }), (e: Error & { code?: string }) => e.code === 'BENCH_BAD_PROFILE');
    assert.throws(() => parseOrtProfile('{"not":', { file: 'p.json' }), (e: Error & { code?: string }) => e.code === 'BENCH_BAD_PROFILE' && e.message.includes('p.json'));
  });

  it('the floor a function sets: the model\'s shared and needed nodes over the baseline, the rest reducible', () => {
    const prof = (ops: [string, number][]): OrtProfile => ({ runs: 1, runMs: 0, arenaHeldMiB: null, kernelMs: ops.reduce((a, [, ms]) => a + ms, 0), ops: ops.map(([op, ms]) => ({ op, ms, provider: 'CPUExecutionProvider', share: 0, nodes: 1 })) });
    const relu = prof([['Conv', 80], ['Relu', 2], ['Gemm', 1], ['ReorderOutput', 3], ['ReorderInput', 1]]);
    const act = prof([['Conv', 70], ['Gemm', 1], ['LayerNormalization', 10], ['Sigmoid', 5], ['Mul', 6], ['Add', 4], ['ReorderOutput', 8], ['ReorderInput', 5]]);
    const f = profileFloor(act, relu, { needed: ['LayerNormalization', 'Sigmoid', 'Mul'], reorders: true, baselineActivation: ['Relu'] });
    assert.equal(f.neededMs, 10 + 5 + 6 + 13);
    assert.equal(f.ratio, 109 / 87);
    assert.equal(f.floor, (70 + 1 + 34) / 87);
    assert.equal(f.reducibleMs, 4, 'the Add');
    // reorders not needed: only as much reorder time as the baseline's is kept
    const g = profileFloor(act, relu, { needed: ['Sigmoid'], reorders: false, baselineActivation: ['Relu'] });
    assert.equal(g.floor, (70 + 1 + 5 + 4) / 87);
    assert.equal(g.reducibleMs, 109 - 80);
    // the baseline's activation type is not shared work: a model running it keeps it only when needed
    assert.equal(profileFloor(prof([['Conv', 80], ['Relu', 9]]), relu, { needed: [], reorders: false, baselineActivation: ['Relu'] }).reducibleMs, 9);
  });

  it('peak FLOP/s from cpuinfo: cores × GHz × lanes × FMA pipes × 2', () => {
    const cpu = (n: number, flags: string, family: number) =>
      Array.from({ length: n }, (_, k) => `processor\t: ${k}\nvendor_id\t: AuthenticAMD\ncpu family\t: ${family}\ncpu MHz\t\t: 2500.000\nflags\t\t: fpu sse ${flags}\n`).join('\n');
    assert.equal(peakFlops(cpu(2, 'avx2 fma', 25))?.gflops, 2 * 2.5 * 8 * 2 * 2);
    assert.equal(peakFlops(cpu(4, 'avx2 fma avx512f', 26))?.gflops, 4 * 2.5 * 16 * 2 * 2);
    assert.equal(peakFlops(cpu(1, 'avx2 fma avx512f', 25))?.gflops, 2.5 * 16 * 1 * 2);
    assert.equal(peakFlops('garbage'), null);
    // a measured clock (boost, invisible in cpuinfo under a hypervisor) replaces cpu MHz; a useless one does not
    const boosted = peakFlops(cpu(2, 'avx2 fma avx512f', 25), 3.5);
    assert.equal(boosted?.gflops, 2 * 3.5 * 16 * 1 * 2);
    assert.equal(boosted?.cpuinfoGhz, 2.5);
    assert.match(boosted?.basis ?? '', /3\.500 GHz \(measured.*2\.500/);
    assert.equal(peakFlops(cpu(2, 'avx2 fma', 25), 0)?.gflops, 2 * 2.5 * 8 * 2 * 2);
  });

  it('the native clock reads the cores\' running clock', () => {
    const addon = nativeAddon();
    assert.ok(addon, nativeUnavailableReason());
    const ghz = addon.clockGHz(2, 3);
    if (process.arch !== 'x64') return assert.equal(ghz, 0);
    // no x86-64 core of the last decade runs below 1 GHz or above 7 GHz; cpuinfo's nominal clock is near it
    assert.ok(ghz > 1 && ghz < 7, `${ghz} GHz`);
    const nominal = peakFlops()?.cpuinfoGhz;
    if (nominal) assert.ok(ghz > 0.5 * nominal && ghz < 2.5 * nominal, `${ghz} GHz measured, ${nominal} nominal`);
  });
});
