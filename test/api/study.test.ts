/** `runStudy`: inputs checked before any work, runs of another recipe refused, failed jobs and stopped runs never look complete. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStudy, type StudyOptions } from '../../src/api/study.js';
import { ActbenchError } from '../../src/errors.js';
import { resolveActivation } from '../../src/acts/define.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { cli } from '../helpers.js';
import { coded } from '../coded.js';
import { decodeModel } from '../../src/onnx/writer.js';
import { exportTargetForEp } from '../../src/runtime/session.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-study-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const opts = (name: string, o: StudyOptions = {}): StudyOptions => ({
  data: 'mnist', model: 'cnn_small', acts: ['relu'], seeds: [1], epochs: 1, limitTrain: 200, testImages: 20, parallel: 1,
  out: join(dir, name, 'report'), modelsDir: join(dir, name, 'models'), ...o,
});

/** A run directory as a finished (or stopped) training leaves it, without training. */
function fakeRun(modelsDir: string, run: string, act: string, o: { epochs?: number; stopped?: boolean } = {}): string {
  const d = join(modelsDir, run);
  mkdirSync(d, { recursive: true });
  // a complete manifest as actbench train writes it (the run-directory reader validates every field)
  const manifest = {
    name: run, model: 'cnn_small', width: 1, dropout: 0, activation: resolveActivation(act),
    dataset: { spec: 'mnist', source: 'mnist', train: 100, val: 0, test: 20, inputShape: [28, 28, 1], numClasses: 10 },
    normalisation: { mean: [0.13], std: [0.31] },
    recipe: { ...DEFAULT_RECIPE, epochs: o.epochs ?? 1, lr: 0.05 },
    seed: 1, backend: 'wasm', params: 1, macs: 1, created: new Date(0).toISOString(), weightsSha256: '0'.repeat(64),
    timings: { trainSeconds: 1, imagesPerSecond: 1 },
    result: { epochs: 1, valAcc: null, testAcc: null, stopped: o.stopped ? { epoch: 0, step: 3, reason: 'loss became NaN at epoch 1, step 4' } : null },
  };
  writeFileSync(join(d, 'manifest.json'), JSON.stringify(manifest));
  return d;
}

describe('study inputs, before any work (issue 9)', () => {
  it("--acts relu,sillu fails before training relu, naming 'silu'; every bad name is reported", async () => {
    const o = opts('acts', { acts: ['relu', 'sillu', 'gelu', 'swissh'] });
    await assert.rejects(runStudy(o), (e: unknown) => {
      coded('ACT_UNKNOWN', /2 of the 4 activations/)(e);
      assert.match((e as Error).message, /'sillu'.*did you mean 'silu'/);
      assert.match((e as Error).message, /'swissh'/);
      assert.equal((e as ActbenchError).field, 'acts');
      return true;
    });
    assert.equal(existsSync(join(dir, 'acts')), false, 'nothing was created, nothing trained');
  });
  it('refuses an unknown model, data spec, duplicate or out-of-range seeds, duplicate activations, zero counts', async () => {
    await assert.rejects(runStudy(opts('m', { model: 'cnn_smll' })), coded('MODEL_UNKNOWN', /cnn_small/));
    await assert.rejects(runStudy(opts('m', { data: 'cifar10' })), coded('DATA_MISSING_PART'));
    await assert.rejects(runStudy(opts('m', { seeds: [1, 1] })), coded('STUDY_BAD_OPTION', /repeat/));
    await assert.rejects(runStudy(opts('m', { seeds: [2 ** 32] })), coded('STUDY_BAD_OPTION'));
    await assert.rejects(runStudy(opts('m', { seeds: [] })), coded('STUDY_BAD_OPTION'));
    await assert.rejects(runStudy(opts('m', { acts: ['relu', 'relu'] })), coded('STUDY_BAD_OPTION', /twice/));
    await assert.rejects(runStudy(opts('m', { acts: [] })), coded('STUDY_BAD_OPTION'));
    await assert.rejects(runStudy(opts('m', { testImages: 0 })), coded('STUDY_BAD_OPTION'));
    await assert.rejects(runStudy(opts('m', { epochs: 1.5 })), coded('STUDY_BAD_OPTION'));
    assert.equal(existsSync(join(dir, 'm')), false);
  });
  it('a run directory trained with another recipe is refused before any training, naming the fields', async () => {
    const o = opts('stale', { acts: ['relu', 'silu'] });
    fakeRun(o.modelsDir as string, 'silu-s1', 'silu', { epochs: 5 });
    await assert.rejects(runStudy(o), coded('RESUME_MISMATCH', /epochs: stored 5, requested 1/));
    assert.equal(existsSync(join(o.modelsDir as string, 'relu-s1')), false, 'relu was not trained');
  });
  it('CLI: exit 1 and the coded message, no stack trace', () => {
    const r = cli('study', '--acts', 'relu,sillu', '--data', 'mnist', '--out', join(dir, 'cli', 'r'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^actbench: error \[ACT_UNKNOWN\] \(field acts\): 1 of the 2 activations cannot be used; nothing was trained/);
    assert.match(r.stderr, /'sillu': unknown activation 'sillu' \(did you mean 'silu'/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

describe('exit status is the truth (issue 19 #2)', () => {
  it('a failed training job rejects with its code and writes no report', async () => {
    const o = opts('failed');
    // the run directory is a file: the child's training fails on it with a filesystem error naming the path
    mkdirSync(o.modelsDir as string, { recursive: true });
    writeFileSync(join(o.modelsDir as string, 'relu-s1'), 'in the way');
    await assert.rejects(runStudy(o), (e: unknown) => {
      assert.ok(e instanceof ActbenchError, String(e));
      assert.match(e.code, /^(FS_|OUTPUT_NOT_DIR)/, e.message);
      assert.match(e.file ?? '', /relu-s1/);
      assert.match(e.message, /1 of 1 training jobs failed, so no report was written/);
      assert.match(e.message, /relu seed 1: \[/);
      return true;
    });
    assert.equal(existsSync(join(o.out as string, 'report.md')), false);
  });
  it('a run stopped on a non-finite loss: the report says it is incomplete, the study rejects with STUDY_INCOMPLETE (exit 3)', async () => {
    const o = opts('stopped', { acts: ['relu'] });
    fakeRun(o.modelsDir as string, 'relu-s1', 'relu', { stopped: true });
    await assert.rejects(runStudy(o), (e: unknown) => coded('STUDY_INCOMPLETE', /1 of 1 runs stopped/)(e) && (e as ActbenchError).exit === 3);
    const md = readFileSync(join(o.out as string, 'report.md'), 'utf8');
    assert.match(md, /\*\*Incomplete: 1 of 1 runs did not finish training/);
    assert.match(md, /relu seed 1 \(loss became NaN/);
    // the test images: class-stratified, per class, with the fixed split seed
    assert.match(md, /Test images: 20, class-stratified \(per class: 0: 2, 1: 2,/);
    assert.match(md, /independent of the training seeds/);
    const used = JSON.parse(readFileSync(join(o.out as string, 'test-images.json'), 'utf8'));
    assert.equal(used.images, 20);
    assert.deepEqual(Object.values(used.perClass), Array(10).fill(2));
  });
});

describe('study exports for the provider it measures on', () => {
  const targetOf = (onnxFile: string) => decodeModel(readFileSync(onnxFile)).metadataProps?.find((m) => m.key === 'actbench.target')?.value;
  it('ep → target: cpu for the CPU provider, cuda when CUDA is asked for, any for WebGPU', () => {
    assert.equal(exportTargetForEp('cpu'), 'cpu');
    assert.equal(exportTargetForEp('cuda'), 'cuda');
    assert.equal(exportTargetForEp('webgpu'), 'any');
  });

  it('--ep cpu: VeLU exported --target cpu (native Asin/Atan, not the CUDA-safe polynomials); an older portable export is redone', async () => {
    const o = opts('target', { acts: ['velu'], model: 'mlp', ep: 'cpu' });
    const lines: string[] = [];
    await runStudy({ ...o, log: (l) => lines.push(l) });
    const run = join(o.modelsDir as string, 'velu-s1');
    assert.equal(targetOf(join(run, 'model.onnx')), 'cpu');
    const ops = new Set(decodeModel(readFileSync(join(run, 'model.onnx'))).graph?.node?.map((n) => n.opType));
    assert.ok(ops.has('Asin') && ops.has('Atan'), [...ops].join(' '));
    assert.equal(JSON.parse(readFileSync(join(run, 'export.json'), 'utf8')).target, 'cpu');
    assert.match(readFileSync(join(o.out as string, 'report.md'), 'utf8'), /exported to ONNX \(`--target cpu`/);
    assert.ok(lines.some((l) => /export --target cpu/.test(l)), lines.join('\n'));
    // an export made before the target was recorded (portable): the rerun exports again instead of reusing it
    const rec = JSON.parse(readFileSync(join(run, 'export.json'), 'utf8'));
    delete rec.target;
    writeFileSync(join(run, 'export.json'), JSON.stringify(rec));
    const again: string[] = [];
    await runStudy({ ...o, log: (l) => again.push(l) });
    assert.ok(!again.some((l) => /velu seed 1: done earlier/.test(l)), again.join('\n'));
    assert.equal(JSON.parse(readFileSync(join(run, 'export.json'), 'utf8')).target, 'cpu');
    // with the target recorded, a third run reuses it
    const third: string[] = [];
    await runStudy({ ...o, log: (l) => third.push(l) });
    assert.ok(third.some((l) => /velu seed 1: done earlier/.test(l)), third.join('\n'));
  });
});
