/** The run directory module: manifest validation (coded, file and field named), checkpoint state, what --out holds. */
/* eslint-disable @typescript-eslint/no-explicit-any */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ActbenchError } from '../../src/errors.js';
import { readCheckpointState } from '../../src/train/loop.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { inspectRunDir, isFinishedRun, readRunManifest, runRecipe, writeRunManifest, type Manifest } from '../../src/train/run-dir.js';

const root = mkdtempSync(join(tmpdir(), 'actbench-rundir-'));
after(() => rmSync(root, { recursive: true, force: true }));
let k = 0;
const fresh = () => {
  const d = join(root, `d${k++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

export function sampleManifest(): Manifest {
  return {
    name: 'r', model: 'mlp', width: 0.25, dropout: 0,
    activation: { name: 'relu', expr: 'max(x, 0)', constants: {}, params: {} },
    dataset: { spec: 'mnist', source: 'mnist', train: 100, val: 0, test: 50, inputShape: [28, 28, 1], numClasses: 10, limitTrain: 100, limitTest: 50, splitSeed: 20261202, perClass: { train: { 0: 10 }, val: {}, test: { 0: 5 } } },
    normalisation: { mean: [0.13], std: [0.3] },
    recipe: { ...DEFAULT_RECIPE, epochs: 1 },
    seed: 0, backend: 'cpu', params: 10, macs: 10,
    timings: { trainSeconds: 1, imagesPerSecond: 100 },
    result: { epochs: 1, valAcc: null, testAcc: 0.5, stopped: null },
    created: '2025-01-01T00:00:00Z', weightsSha256: '0'.repeat(64),
  };
}

function code(fn: () => unknown): { code: string; file?: string; field?: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ActbenchError, `expected a coded error, got ${(e as Error).stack}`);
    return { code: e.code, file: e.file, field: e.field };
  }
  assert.fail('no error');
}

describe('run manifest', () => {
  it('round-trips and gives the recipe a resume compares', () => {
    const d = fresh();
    writeRunManifest(d, sampleManifest());
    const m = readRunManifest(d);
    assert.deepEqual(m, sampleManifest());
    assert.deepEqual(runRecipe(m).data, { spec: 'mnist', limitTrain: 100, limitTest: 50, splitSeed: 20261202 });
    assert.equal(isFinishedRun(d), true);
    assert.equal(inspectRunDir(d).kind, 'finished');
  });

  it('missing, corrupted or mistyped: a coded error naming the file and the field', () => {
    const d = fresh();
    assert.equal(code(() => readRunManifest(d)).code, 'MODEL_NO_MANIFEST');
    writeFileSync(join(d, 'manifest.json'), '{"name": "r", "mod');
    const torn = code(() => readRunManifest(d));
    assert.equal(torn.code, 'MODEL_BAD_MANIFEST');
    assert.equal(torn.file, join(d, 'manifest.json'));
    for (const [mutate, field] of [
      [(m: Record<string, any>) => (m.seed = 2.5), 'seed'],
      [(m: Record<string, any>) => (m.dataset.numClasses = '10'), 'dataset.numClasses'],
      [(m: Record<string, any>) => (m.normalisation.std = [0]), 'normalisation.std'],
      [(m: Record<string, any>) => (m.recipe.schedule = 'linear'), 'recipe.schedule'],
      [(m: Record<string, any>) => (m.recipe.batchSize = 0), 'recipe.batchSize'],
      [(m: Record<string, any>) => (m.result.stopped = 'yes'), 'result.stopped'],
      [(m: Record<string, any>) => delete m.activation, 'activation'],
    ] as const) {
      const m = sampleManifest() as unknown as Record<string, any>;
      mutate(m);
      writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
      const e = code(() => readRunManifest(d));
      assert.equal(e.code, 'MODEL_BAD_MANIFEST');
      assert.equal(e.field, field);
    }
    const dirAsFile = fresh();
    mkdirSync(join(dirAsFile, 'manifest.json'));
    const eisdir = code(() => readRunManifest(dirAsFile));
    assert.equal(eisdir.code, 'FS_EISDIR');
    assert.equal(eisdir.file, join(dirAsFile, 'manifest.json'));
  });

  it('a manifest of an older version (no subsets, no split seed) still reads', () => {
    const d = fresh();
    const m = sampleManifest() as unknown as Record<string, any>;
    for (const f of ['limitTrain', 'limitTest', 'splitSeed', 'perClass']) delete m.dataset[f];
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
    assert.equal(readRunManifest(d).dataset.train, 100);
  });
});

describe('checkpoint state and what --out holds', () => {
  it('a corrupted state.json is a coded error naming it', () => {
    const d = fresh();
    mkdirSync(join(d, 'checkpoint'));
    writeFileSync(join(d, 'checkpoint', 'state.json'), '{"epoch": 1, "hist');
    const e = code(() => readCheckpointState(d));
    assert.equal(e.code, 'TRAIN_BAD_CHECKPOINT');
    assert.equal(e.file, join(d, 'checkpoint', 'state.json'));
    writeFileSync(join(d, 'checkpoint', 'state.json'), JSON.stringify({ epoch: 2, history: [], stopped: null, optimizer: [] }));
    assert.equal(code(() => readCheckpointState(d)).field, 'history');
    assert.equal(code(() => inspectRunDir(d)).code, 'TRAIN_BAD_CHECKPOINT');
  });

  it('absent, empty (lock and temporary files only), unfinished, stopped, foreign', () => {
    assert.equal(inspectRunDir(join(root, 'nowhere')).kind, 'absent');
    const e = fresh();
    writeFileSync(join(e, '.actbench.lock'), '1\n');
    writeFileSync(join(e, '.weights.bin.123.tmp'), '');
    mkdirSync(join(e, 'checkpoint', 'epoch-1'), { recursive: true });
    assert.equal(inspectRunDir(e).kind, 'empty');
    const u = fresh();
    mkdirSync(join(u, 'checkpoint'));
    const h = { epoch: 1, lr: 0.1, loss: 1, auxLoss: 0, trainAcc: 0.5, valAcc: null, seconds: 1, imagesPerSecond: 1 };
    writeFileSync(join(u, 'checkpoint', 'state.json'), JSON.stringify({ epoch: 1, history: [h], stopped: null, optimizer: [], files: 'epoch-1', run: { seed: 3 } }));
    assert.deepEqual(inspectRunDir(u), { kind: 'unfinished', epoch: 1, run: { seed: 3 } });
    const s = fresh();
    writeRunManifest(s, { ...sampleManifest(), result: { epochs: 0, valAcc: null, testAcc: null, stopped: { epoch: 0, step: 0, reason: 'loss became NaN' } } });
    assert.equal(inspectRunDir(s).kind, 'stopped');
    assert.equal(isFinishedRun(s), false);
    const f = fresh();
    writeFileSync(join(f, 'thesis.tex'), 'mine');
    assert.deepEqual(inspectRunDir(f), { kind: 'foreign', entries: ['thesis.tex'] });
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    assert.equal(code(() => inspectRunDir(file)).code, 'OUTPUT_NOT_DIR');
  });
});
