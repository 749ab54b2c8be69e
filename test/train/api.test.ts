/**
 * runTraining / exportTrained at their boundaries, on real digits (tiny mlp, 100 images, wasm):
 * reproducible seeds, nothing replaced without --force, resume only the same run, a coded failed status
 * for a non-finite loss, dataset structure and sizes checked before any work, export never touching inputs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportTrained } from '../../src/api/export.js';
import { runTraining, TrainStoppedError, type TrainRequest } from '../../src/api/train.js';
import { ActbenchError } from '../../src/errors.js';
import { selectBackend } from '../../src/train/backend.js';
import { readRunManifest } from '../../src/train/run-dir.js';

const root = mkdtempSync(join(tmpdir(), 'actbench-api-train-'));
after(() => rmSync(root, { recursive: true, force: true }));
before(async () => {
  await selectBackend('wasm', 'train');
});

const req = (out: string, extra: Partial<TrainRequest> = {}): TrainRequest => ({
  model: 'mlp', act: 'relu', data: 'mnist', seed: 0, out, backend: 'wasm', limitTrain: 100, limitTest: 50, width: 0.25,
  ...extra,
  recipe: { epochs: 1, batchSize: 50, valFraction: 0, ...extra.recipe },
});

/** Every file under a directory with its SHA-256: "byte-identical" means equal snapshots. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p, `${rel}${f}/`);
      else out[`${rel}${f}`] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

async function rejects(p: Promise<unknown>, code: string): Promise<ActbenchError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ActbenchError, `expected ${code}, got ${(e as Error).stack}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, it resolved`);
}

const weights = (dir: string) => readFileSync(join(dir, 'weights.bin'));

describe('training runs', () => {
  const a = join(root, 'a');
  it('seed 0 twice gives byte-identical weights.bin, seed 1 other weights; the manifest records subsets and the split seed', async () => {
    const r = await runTraining(req(a));
    await runTraining(req(join(root, 'a2')));
    await runTraining(req(join(root, 'b'), { seed: 1 }));
    assert.ok(weights(a).equals(weights(join(root, 'a2'))), 'seed 0 reproducible');
    assert.ok(!weights(a).equals(weights(join(root, 'b'))), 'seeds 0 and 1 differ');
    const m = readRunManifest(a);
    assert.deepEqual(m, r.manifest);
    assert.equal(m.dataset.splitSeed, 20261202);
    assert.equal(m.dataset.limitTrain, 100);
    const train = Object.values(m.dataset.perClass?.train ?? {});
    assert.equal(train.reduce((x, y) => x + y, 0), 100);
    assert.equal(train.length, 10);
    assert.ok(train.every((n) => n >= 8 && n <= 12), `per class ${train}`);
    assert.equal(Object.values(m.dataset.perClass?.test ?? {}).reduce((x, y) => x + y, 0), 50);
    assert.equal(existsSync(join(a, '.actbench.lock')), false, 'the lock is released');
  });

  it('a finished run is never replaced without --force (nor "resumed"); --force retrains it', async () => {
    const before = snapshot(a);
    const e = await rejects(runTraining(req(a, { recipe: { epochs: 1, batchSize: 50, valFraction: 0, lr: 0.2 } })), 'TRAIN_EXISTS');
    assert.match(e.message, /finished run.*--force/);
    await rejects(runTraining(req(a, { resume: true })), 'TRAIN_EXISTS');
    assert.deepEqual(snapshot(a), before);
    await runTraining(req(a, { force: true, seed: 1 }));
    assert.ok(weights(a).equals(weights(join(root, 'b'))), 'retrained afresh with seed 1');
  });

  it('a user directory, a file, or a dataset path as --out: refused before any work, untouched', async () => {
    const mine = join(root, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'thesis.tex'), 'months of work');
    await rejects(runTraining(req(mine)), 'TRAIN_OUT_NOT_RUN');
    assert.deepEqual(readdirSync(mine), ['thesis.tex']);
    const file = join(root, 'file');
    writeFileSync(file, 'x');
    await rejects(runTraining(req(file)), 'OUTPUT_NOT_DIR');
    assert.equal(readFileSync(file, 'utf8'), 'x');
    const data = join(root, 'data');
    await rejects(runTraining(req(data, { data: `npy:${join(data, 'x.npy')},${join(data, 'y.npy')}` })), 'OUTPUT_TOUCHES_INPUT');
    await rejects(runTraining(req(root, { data: `npy:${join(root, 'x.npy')},${join(root, 'y.npy')}` })), 'OUTPUT_TOUCHES_INPUT');
  });

  it('--resume continues only the same run: another --lr, --act or --seed is refused, the run left byte-identical; the same flags continue exactly', async () => {
    const full = join(root, 'full');
    const two = { recipe: { epochs: 2, batchSize: 50, valFraction: 0 } };
    await runTraining(req(full, two));
    const cut = join(root, 'cut');
    // interrupted after the first epoch's checkpoint (as a kill would)
    await assert.rejects(runTraining({ ...req(cut, two), onEpoch: () => { throw new Error('killed'); } }), /killed/);
    assert.ok(existsSync(join(cut, 'checkpoint', 'state.json')));
    const before = snapshot(cut);
    for (const [extra, field] of [
      [{ recipe: { ...two.recipe, lr: 0.05 } }, 'recipe.lr'],
      [{ act: 'silu' }, 'activation.'],
      [{ seed: 1 }, 'seed'],
      [{ limitTrain: 90 }, 'data.limitTrain'],
    ] as const) {
      const e = await rejects(runTraining(req(cut, { ...two, ...extra, resume: true })), 'RESUME_MISMATCH');
      assert.ok(e.message.includes(field), `${field} named in: ${e.message}`);
      assert.deepEqual(snapshot(cut), before);
    }
    const notResumed = await rejects(runTraining(req(cut, two)), 'TRAIN_EXISTS');
    assert.match(notResumed.message, /--resume/);
    assert.deepEqual(snapshot(cut), before);
    await runTraining(req(cut, { ...two, resume: true }));
    assert.ok(weights(cut).equals(weights(full)), 'resumed = uninterrupted, bit for bit');
    assert.equal(readFileSync(join(cut, 'log.jsonl'), 'utf8').trim().split('\n').length, 2);
    assert.equal(existsSync(join(cut, 'checkpoint')), false);
  });

  it('a non-finite loss: the manifest records the stop and the promise rejects with TRAIN_NONFINITE (exit 3); export refuses the run', async () => {
    const nan = join(root, 'nan');
    const e = await rejects(runTraining(req(nan, { act: 'fdiv(1, relu(x))' })), 'TRAIN_NONFINITE');
    assert.ok(e instanceof TrainStoppedError);
    assert.equal(e.exit, 3);
    assert.match(e.message, /epoch 1, step 1/);
    assert.ok(readRunManifest(nan).result.stopped);
    await rejects(exportTrained({ dir: nan }), 'EXPORT_STOPPED_RUN');
    assert.equal(existsSync(join(nan, 'model.onnx')), false);
  });

  it('dataset structure, sizes, width and dropout are checked before anything is written', async () => {
    const cases: [Partial<TrainRequest>, string][] = [
      [{ limitTrain: 5 }, 'DATA_TOO_FEW'],
      [{ limitTrain: 40 }, 'DATA_TOO_FEW'],
      [{ recipe: { batchSize: 100_000_000 } }, 'TRAIN_BATCH_TOO_LARGE'],
      [{ width: 0.001 }, 'MODEL_BAD_WIDTH'],
      [{ dropout: 0.3 }, 'MODEL_BAD_DROPOUT'],
      [{ model: 'wrn_10_1', width: 0.5 }, 'MODEL_BAD_WIDTH'],
      [{ seed: 2 ** 32 }, 'TRAIN_BAD_SEED'],
      [{ resume: true }, 'TRAIN_NO_CHECKPOINT'],
    ];
    for (const [extra, code] of cases) {
      const out = join(root, `refused-${code}`);
      const e = await rejects(runTraining(req(out, extra)), code);
      if (code === 'TRAIN_BATCH_TOO_LARGE') assert.match(e.message, /limit is \d+ values \(2 GiB\)/);
      assert.equal(existsSync(out), false, `${code}: no directory left behind`);
    }
  });
});

describe('export never touches its inputs', () => {
  it('--out at a run file, the run, a folder holding it, a directory or another file: refused before any work, inputs byte-identical', async () => {
    const run = join(root, 'a');
    const before = snapshot(run);
    for (const out of ['weights.bin', 'model.json', 'manifest.json', 'log.jsonl', '.'].map((f) => join(run, f)).concat([root])) {
      await rejects(exportTrained({ dir: run, out }), 'OUTPUT_TOUCHES_INPUT');
    }
    const other = join(root, 'other.onnx');
    writeFileSync(other, 'an export of another run');
    await rejects(exportTrained({ dir: run, out: other }), 'OUTPUT_EXISTS');
    assert.equal(readFileSync(other, 'utf8'), 'an export of another run');
    mkdirSync(join(root, 'adir'));
    await rejects(exportTrained({ dir: run, out: join(root, 'adir') }), 'OUTPUT_IS_DIR');
    await rejects(exportTrained({ dir: run, opset: 99 }), 'ONNX_BAD_OPSET');
    assert.deepEqual(snapshot(run), before);
  });
});
