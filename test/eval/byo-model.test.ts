/**
 * Bring your own model: PyTorch CNNs exported with torch.onnx.export (a normalised NCHW one, and one with
 * symbolic height/width) give under `actbench eval` the same top-1, per-image predictions, loss and ECE as
 * PyTorch's own forward pass on the same images — with --mean/--std, with --preprocess, and from the
 * model's metadata. test/fixtures/byo/make_models.py builds them at test time with /usr/bin/python3 and
 * torch; without torch it copies its checked-in output of a torch run, so the test never skips.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runEval } from '../../src/api/eval.js';
import { encodeNpy } from '../../src/data/npy.js';
import { readImageFolder } from '../../src/data/folder.js';
import { classify, prepareModel, readModelInfo } from '../../src/eval/evaluate.js';
import { Calibration } from '../../src/eval/calibration.js';
import type { EvalRecord } from '../../src/results/store.js';
import { createSession } from '../../src/runtime/session.js';
import { cli } from '../helpers.js';
import { tinyModel } from '../runtime/tiny-onnx.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-byo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const PY = '/usr/bin/python3';
const script = 'test/fixtures/byo/make_models.py';
const made = existsSync(PY) ? spawnSync(PY, [script, dir], { encoding: 'utf8' }) : null;
if (!made || made.status !== 0) {
  // no python (or it failed for want of numpy/onnx): the checked-in output of a torch run
  cpSync('test/fixtures/byo/checked-in', dir, { recursive: true });
}
const source = made?.status === 0 ? made.stdout.trim() : 'checked-in fixture';

interface Expected {
  torch: string;
  top1: number;
  loss: number;
  ece: number;
  labels: number[];
  predictions: number[];
  big: { resize: number; centerCrop: number; top1: number; labels: number[]; predictions: number[]; pixels: number[][] };
}
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
const set = join(dir, 'set');
const big = join(dir, 'big');
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

let stores = 0;
const store = () => join(dir, `r${stores++}.jsonl`);

/** what each evalClean call printed on stderr */
const stderrOf = new WeakMap<EvalRecord, string>();
const WARNED = /warning: .* no actbench metadata and no --mean\/--std\/--preprocess/;

/** `actbench eval --clean --json`: the one clean record of the document on stdout. */
function evalClean(model: string, data: string, ...flags: string[]): EvalRecord {
  const r = cli('eval', model, '--data', `folder:${data}`, '--clean', '--json', '--ep', 'cpu', '--results', store(), ...flags);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { dataset: string; records: EvalRecord[] };
  assert.equal(doc.records.length, 1, `one record: ${r.stdout}`);
  assert.equal(doc.records[0].dataset, doc.dataset);
  assert.match(r.stderr, /preprocessing .*mean/, 'what was used is printed (on stderr with --json)');
  stderrOf.set(doc.records[0], r.stderr);
  return doc.records[0];
}

/** Per-image predictions through the library (the same feed as eval). */
async function predictions(model: string, data: string, pre: Parameters<typeof readModelInfo>[1], labels: number[], image?: { resize: number; centerCrop: number }): Promise<number[]> {
  const ds = readImageFolder(join(data, 'val'), 'val', image ? { ...image, interpolation: 'bilinear' } : undefined);
  const m = prepareModel(readModelInfo(model, pre), { height: ds.height, width: ds.width, channels: ds.channels, numClasses: ds.numClasses, labelSets: [{ what: 'val', labels: ds.labels }] });
  const s = await createSession(model, { ep: 'cpu' });
  try {
    const r = await classify(s, m, ds.images, ds.labels, ds.height, ds.width, ds.channels);
    assert.deepEqual([...ds.labels], labels, 'the same images in the same order as the script');
    return [...r.predictions];
  } finally {
    await s.session.release();
  }
}

describe(`actbench eval on PyTorch exports (${source})`, () => {
  it('the fixture is a real test: top-1 is high only with the right normalisation', () => {
    assert.equal(expected.top1, 0.75, 'labels are PyTorch’s prediction for 3 images in 4');
    const none = evalClean(join(dir, 'norm.onnx'), set);
    assert.notEqual(none.top1, expected.top1, 'without mean/std the model is evaluated wrong');
    assert.deepEqual(none.preprocess?.origin.mean, 'default');
    assert.match(stderrOf.get(none) ?? '', WARNED, 'a foreign model fed without normalisation is warned about');
  });

  it('--mean/--std, --preprocess imagenet and the metadata give PyTorch’s top-1, loss and ECE', () => {
    const flags = evalClean(join(dir, 'norm.onnx'), set, '--mean', IMAGENET.mean.join(','), '--std', IMAGENET.std.join(','));
    // the preset's 256 → 224 is overridden for these 16×16 images; its mean/std stay
    const preset = evalClean(join(dir, 'norm.onnx'), set, '--preprocess', 'imagenet', '--resize', '16', '--center-crop', '16');
    const meta = evalClean(join(dir, 'norm-meta.onnx'), set);
    for (const [what, r] of [['flags', flags], ['preset', preset], ['metadata', meta]] as const) {
      assert.equal(r.n, 40, what);
      assert.equal(r.top1, expected.top1, `${what}: top-1`);
      assert.ok(Math.abs((r.loss as number) - expected.loss) < 1e-5, `${what}: loss ${r.loss} vs PyTorch ${expected.loss}`);
      assert.ok(Math.abs((r.ece as number) - expected.ece) < 1e-5, `${what}: ECE ${r.ece} vs numpy ${expected.ece}`);
      assert.deepEqual(r.preprocess?.mean, IMAGENET.mean, what);
      assert.deepEqual(r.preprocess?.std, IMAGENET.std, what);
      assert.doesNotMatch(stderrOf.get(r) ?? '', WARNED, `${what}: no warning once mean/std are given`);
    }
    assert.equal(flags.preprocess?.origin.mean, 'flag');
    assert.equal(preset.preprocess?.origin.mean, 'preset');
    assert.equal(preset.preprocess?.preset, 'imagenet');
    assert.equal(meta.preprocess?.origin.mean, 'metadata');
  });

  it('per-image predictions equal PyTorch’s, for the static and the dynamic-H/W export', async () => {
    assert.deepEqual(await predictions(join(dir, 'norm.onnx'), set, IMAGENET, expected.labels), expected.predictions);
    assert.deepEqual(await predictions(join(dir, 'norm-meta.onnx'), set, undefined, expected.labels), expected.predictions);
    assert.deepEqual(await predictions(join(dir, 'dynamic.onnx'), set, { ...IMAGENET, scale: 1 / 255 }, expected.labels), expected.predictions, 'dynamic H/W fed at the data’s 16×16');
  });

  it('dynamic H/W on non-square images: --resize 24 --center-crop 20 matches PIL’s pixels within 1 level and PyTorch’s predictions', async () => {
    const t = expected.big;
    const ds = readImageFolder(join(big, 'val'), 'val', { resize: t.resize, centerCrop: t.centerCrop, interpolation: 'bilinear' });
    assert.equal(ds.height, 20);
    assert.equal(ds.width, 20);
    let sum = 0;
    let max = 0;
    t.pixels.forEach((px, k) => px.forEach((v, j) => {
      const d = Math.abs(v - ds.images[k * px.length + j]);
      sum += d;
      max = Math.max(max, d);
    }));
    const mean = sum / (t.pixels.length * t.pixels[0].length);
    assert.ok(max <= 1 && mean < 0.5, `sharp vs PIL resize: max ${max}, mean ${mean}`);
    const r = evalClean(join(dir, 'dynamic.onnx'), big, '--preprocess', 'imagenet', '--resize', String(t.resize), '--center-crop', String(t.centerCrop));
    assert.equal(r.n, 20);
    assert.equal(r.top1, t.top1);
    assert.deepEqual(r.preprocess?.image, { resize: 24, centerCrop: 20, interpolation: 'bilinear' });
    assert.deepEqual(await predictions(join(dir, 'dynamic.onnx'), big, { preset: 'imagenet' }, t.labels, t), t.predictions);
  });

  it('runEval (library): the same records, stored cells reused only for the same preprocessing', async () => {
    const results = store();
    const a = await runEval({ models: [join(dir, 'norm.onnx')], data: `folder:${set}`, clean: true, ep: 'cpu', results, preprocess: IMAGENET });
    assert.equal(a.records.length, 1);
    assert.equal(a.records[0].top1, expected.top1);
    const b = await runEval({ models: [join(dir, 'norm.onnx')], data: `folder:${set}`, clean: true, ep: 'cpu', results, preprocess: IMAGENET });
    assert.equal(b.records[0].provenance.time, a.records[0].provenance.time, 'a rerun reuses the stored cell');
    const c = await runEval({ models: [join(dir, 'norm.onnx')], data: `folder:${set}`, clean: true, ep: 'cpu', results });
    assert.notEqual(c.records[0].top1, expected.top1, 'other preprocessing: recomputed, not the stored cell');
    assert.equal(readFileSync(results, 'utf8').trim().split('\n').length, 2);
    // array data is stored at its size: the preset's 256 → 224 is neither applied nor recorded
    const ds = readImageFolder(join(set, 'val'));
    writeFileSync(join(dir, 'x.npy'), encodeNpy(ds.images, [40, 16, 16, 3], 'uint8'));
    writeFileSync(join(dir, 'y.npy'), encodeNpy(Uint8Array.from(ds.labels), [40], 'uint8'));
    const lines: string[] = [];
    const d = await runEval({ models: [join(dir, 'norm.onnx')], data: `npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`, clean: true, ep: 'cpu', results: store(), preprocess: { preset: 'imagenet' }, log: (l) => lines.push(l) });
    assert.equal(d.records[0].preprocess?.image, undefined);
    assert.deepEqual(d.records[0].preprocess?.mean, IMAGENET.mean);
    assert.ok(lines.some((l) => /resize\/crop is not applied/.test(l)), lines.join('\n'));
  });

  it('bad preprocessing and unsupported inputs: coded errors, nothing stored', async () => {
    const m = join(dir, 'norm.onnx');
    const twoIn = join(dir, 'two-in.onnx');
    writeFileSync(twoIn, tinyModel({ c: 3, h: 16, w: 16, classes: 5, extraInput: true }));
    // through the library (each CLI start costs seconds): the same checks the CLI reaches
    for (const [model, preprocess, code] of [
      [m, { mean: [0.5, 0.5], std: [0.2, 0.2, 0.2] }, 'PREPROCESS_CHANNELS'],
      [m, { mean: [0.5, 0.5], std: [0.2, 0.2] }, 'PREPROCESS_CHANNELS'],
      [m, { std: [0.2, 0, 0.2] }, 'PREPROCESS_BAD_VALUE'],
      [m, { scale: 0 }, 'PREPROCESS_BAD_VALUE'],
      [m, { preset: 'imagenet', resize: 200 }, 'PREPROCESS_CROP_TOO_LARGE'],
      [join(dir, 'dynamic.onnx'), { inputShape: [3, 20, 20] }, 'PREPROCESS_INPUT_SHAPE'],
      [m, { preset: 'imagenet' }, 'MODEL_INPUT_SHAPE'],
      [twoIn, {}, 'MODEL_INPUT_COUNT'],
    ] as [string, Record<string, unknown>, string][]) {
      const results = store();
      await assert.rejects(runEval({ models: [model], data: `folder:${set}`, clean: true, ep: 'cpu', results, preprocess }), (e: unknown) => (e as { code?: string }).code === code, `${JSON.stringify(preprocess)} → ${code}`);
      assert.ok(!existsSync(results) || readFileSync(results, 'utf8') === '', `${code}: nothing stored`);
    }
    // the CLI: flag values (exit 2, one line, no stack trace)
    for (const [args, code] of [
      [['--preprocess', 'resnet'], 'PREPROCESS_UNKNOWN_PRESET'],
      [['--mean', '0.5,x'], 'PREPROCESS_BAD_VALUE'],
      [['--resize', '16', '--center-crop', '20'], 'PREPROCESS_CROP_TOO_LARGE'],
      [['--corruptions', 'fog'], 'CLI_CONFLICTING_FLAGS'],
    ] as [string[], string][]) {
      const r = cli('eval', m, ...args, '--data', `folder:${set}`, '--clean', '--ep', 'cpu', '--results', store());
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`\\[${code}\\]`), args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    await assert.rejects(runEval({ models: [m], data: 'mnist', clean: true, results: store(), preprocess: { resize: 32 } }), (e: unknown) => (e as { code?: string }).code === 'PREPROCESS_RESIZE_NOT_FOLDER');
  });
});

describe('calibration (loss, ECE)', () => {
  it('matches hand-computed values; non-finite rows are left out', () => {
    const c = new Calibration();
    // row 0: softmax [0.5, 0.5] (tie: argmax 0) label 0 → conf 0.5 in bin 7, correct; row 1: [e², 1]/(e²+1) label 1, wrong
    c.add([0, 0, 2, 0, NaN, 1], [0, 1, 0], 2);
    const r = c.result();
    assert.ok(r);
    const p = Math.exp(2) / (Math.exp(2) + 1);
    assert.ok(Math.abs(r.loss - (Math.log(2) + Math.log(Math.exp(2) + 1)) / 2) < 1e-12);
    assert.ok(Math.abs(r.ece - (0.5 * Math.abs(1 - 0.5) + 0.5 * Math.abs(0 - p))) < 1e-12);
    assert.equal(c.nonFinite, 1);
    assert.equal(new Calibration().result(), null);
  });
});
