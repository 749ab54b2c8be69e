/**
 * `actbench eval --imagenet-c TREE --data imagenet-val:… | folder:VAL --alexnet` end to end on a tiny
 * ImageNet-C-shaped tree (3 of 5 synsets, some severities missing) and a tiny linear ONNX model: clean and
 * per-cell top-1 equal the model's arithmetic done here on the decoded pixels, missing severities are
 * reported, and the AlexNet CE uses the published per-severity errors of the severities present.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { decodeImage } from '../../src/data/folder.js';
import { ALEXNET_ERR_BY_SEVERITY } from '../../src/eval/metrics.js';
import { cli, rng } from '../helpers.js';
import { tinyModel } from '../runtime/tiny-onnx.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-imagenet-c-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const H = 8;
const W = 8;
const weight = (p: number, k: number) => Math.sin(p * 0.37 + k * 1.3);
const SYNSETS = ['n01440764', 'n01443537', 'n01484850', 'n01491361', 'n01494475'];
// the tree and the val images use three of the five synsets: labels must stay the synset-map indices 1, 3, 4
const USED = ['n01443537', 'n01491361', 'n01494475'];
const PER_CLASS = 3;
const ids = USED.flatMap((_, c) => Array.from({ length: PER_CLASS }, (_, k) => `ILSVRC2012_val_${String(1 + c * PER_CLASS + k).padStart(8, '0')}`));
const synsetOf = (i: number) => USED[Math.floor(i / PER_CLASS)];

function jpg(file: string, seed: number): void {
  const r = rng(seed);
  const data = Buffer.alloc(H * W * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : Math.floor(r() * 256);
  writeFileSync(file, jpeg.encode({ data, width: W, height: H }, 90).data);
}

/** The linear model's prediction, computed here: logits_k = Σ_p x_p·W[p, k] over the NCHW-flattened pixels / 255. */
function predict(file: string, classes: number): { pred: number; margin: number } {
  const { data } = decodeImage(file);
  const logits = Array.from({ length: classes }, (_, k) => {
    let s = 0;
    for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) s += (data[p * 3 + c] / 255) * weight(c * H * W + p, k);
    return s;
  });
  const order = logits.map((v, k) => [v, k]).sort((a, b) => b[0] - a[0]);
  return { pred: order[0][1], margin: order[0][0] - order[1][0] };
}

// the tree: gaussian_noise complete, fog with severities 1 and 3 only
const CELLS: [string, number][] = [[ 'gaussian_noise', 1 ], [ 'gaussian_noise', 2 ], [ 'gaussian_noise', 3 ], [ 'gaussian_noise', 4 ], [ 'gaussian_noise', 5 ], [ 'fog', 1 ], [ 'fog', 3 ]];
const tree = join(dir, 'imagenet-c');
CELLS.forEach(([c, s], k) => {
  for (const [i, id] of ids.entries()) {
    mkdirSync(join(tree, c, String(s), synsetOf(i)), { recursive: true });
    jpg(join(tree, c, String(s), synsetOf(i), `${id}.JPEG`), 1000 * (k + 1) + i);
  }
});
// the clean val set, flat as released, with its labels file and synset map
const val = join(dir, 'val');
mkdirSync(val);
ids.forEach((id, i) => jpg(join(val, `${id}.JPEG`), i));
const csv = join(dir, 'LOC_val_solution.csv');
writeFileSync(csv, ['ImageId,PredictionString', ...ids.map((id, i) => `${id},${synsetOf(i)} 0 0 7 7`)].join('\n') + '\n');
const map = join(dir, 'LOC_synset_mapping.txt');
writeFileSync(map, SYNSETS.map((s) => `${s} some fish`).join('\n') + '\n');

/** Expected top-1 of a cell: the share of images whose computed prediction is their synset-map index. */
function expectedTop1(files: string[], labels: number[], classes: number): number {
  let right = 0;
  files.forEach((f, i) => {
    const { pred, margin } = predict(f, classes);
    assert.ok(margin > 1e-4, `${f}: top-2 margin ${margin} too small for float32 to agree`);
    if (pred === labels[i]) right++;
  });
  return right / files.length;
}

describe('eval --imagenet-c (CLI)', () => {
  it('clean accuracy from imagenet-val, a missing severity reported, CE/mCE vs AlexNet over what exists (partial)', () => {
    const model = join(dir, 'm5.onnx');
    writeFileSync(model, tinyModel({ c: 3, h: H, w: W, classes: 5, weight }));
    const results = join(dir, 'r5.jsonl');
    const r = cli('eval', model, '--imagenet-c', tree, '--data', `imagenet-val:${val},${csv},${map}`, '--alexnet', '--results', results);
    assert.equal(r.code, 0, r.stderr);
    const labels = ids.map((_, i) => SYNSETS.indexOf(synsetOf(i)));
    const recs = readFileSync(results, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { corruption: string | null; severity: number | null; top1: number; n: number });
    assert.deepEqual(recs.map((x) => `${x.corruption ?? 'clean'}/${x.severity ?? '-'}/${x.n}`), ['clean/-/9', ...CELLS.map(([c, s]) => `${c}/${s}/9`)]);
    const clean = expectedTop1(ids.map((id) => join(val, `${id}.JPEG`)), labels, 5);
    assert.equal(recs[0].top1, clean, 'clean top-1');
    const err: Record<string, Record<number, number>> = {};
    for (const [k, [c, s]] of CELLS.entries()) {
      const top1 = expectedTop1(ids.map((id, i) => join(tree, c, String(s), synsetOf(i), `${id}.JPEG`)), labels, 5);
      assert.equal(recs[k + 1].top1, top1, `${c}/${s}`);
      (err[c] ??= {})[s] = 1 - top1;
    }
    assert.match(r.stdout, /not in the tree, not evaluated: fog\/2,4,5/);
    // CE_c = Σ_s E_s / Σ_s E^AlexNet_s over the severities present; the mean over the two is partial
    const ce = (c: string) => Object.entries(err[c]).reduce((a, [, e]) => a + e, 0) / Object.keys(err[c]).reduce((a, s) => a + ALEXNET_ERR_BY_SEVERITY[c][Number(s) - 1], 0);
    const partial = (ce('gaussian_noise') + ce('fog')) / 2;
    const m = /PARTIAL mCE vs AlexNet ([\d.]+) %, relative ([\d.–-]+)[^,]*, over 2 of 15 corruptions \(gaussian_noise 1-5; fog 1,3\)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(m[1], (partial * 100).toFixed(1));
    const relative = (c: string) => Object.entries(err[c]).reduce((a, [, e]) => a + e - (1 - clean), 0) / Object.keys(err[c]).reduce((a, s) => a + ALEXNET_ERR_BY_SEVERITY[c][Number(s) - 1] - 0.4348, 0);
    assert.equal(m[2], (((relative('gaussian_noise') + relative('fog')) / 2) * 100).toFixed(1));
    assert.match(r.stdout, /not comparable with published mCE/);
    assert.doesNotMatch(r.stdout, /relative mCE/, 'no full mCE is claimed');
  });

  it('folder:VAL as the clean set is the whole folder, not a hold-out; a tree class the clean set lacks is refused', () => {
    const folder = join(dir, 'val-folder');
    ids.forEach((id, i) => {
      mkdirSync(join(folder, synsetOf(i)), { recursive: true });
      jpg(join(folder, synsetOf(i), `${id}.JPEG`), i);
    });
    const model = join(dir, 'm3.onnx');
    writeFileSync(model, tinyModel({ c: 3, h: H, w: W, classes: 3, weight }));
    const results = join(dir, 'r3.jsonl');
    const r = cli('eval', model, '--imagenet-c', tree, '--data', `folder:${folder}`, '--severity', '1', '--results', results);
    assert.equal(r.code, 0, r.stderr);
    const recs = readFileSync(results, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { corruption: string | null; top1: number; n: number });
    assert.deepEqual(recs.map((x) => `${x.corruption ?? 'clean'}/${x.n}`), ['clean/9', 'gaussian_noise/9', 'fog/9']);
    const labels = ids.map((_, i) => USED.indexOf(synsetOf(i)));
    assert.equal(recs[0].top1, expectedTop1(ids.map((id, i) => join(folder, synsetOf(i), `${id}.JPEG`)), labels, 3));
    // a resize/crop applies to the clean set; the tree's images are fed (and recorded) at their stored size
    const sized = join(dir, 'r3-sized.jsonl');
    const args = ['eval', model, '--imagenet-c', tree, '--data', `folder:${folder}`, '--severity', '1', '--resize', '10', '--center-crop', '8', '--results', sized];
    const s1 = cli(...args);
    assert.equal(s1.code, 0, s1.stderr);
    assert.match(s1.stderr + s1.stdout, /tree's images are fed at their stored size/);
    type Rec = { corruption: string | null; top1: number; preprocess: { image?: { resize?: number; centerCrop?: number } } };
    const read = () => readFileSync(sized, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec);
    const sr = read();
    assert.deepEqual(sr.map((x) => [x.corruption ?? 'clean', x.preprocess.image ?? null]), [['clean', { resize: 10, centerCrop: 8, interpolation: 'bilinear' }], ['gaussian_noise', null], ['fog', null]]);
    assert.equal(sr[1].top1, expectedTop1(ids.map((id, i) => join(tree, 'gaussian_noise', '1', synsetOf(i), `${id}.JPEG`)), labels, 3), 'the tree cell is the unresized images\' accuracy');
    // a rerun reuses every cell, also tree records written before their feed was recorded without the resize/crop
    const legacy = sr.map((x) => JSON.stringify(x.corruption ? { ...x, preprocess: sr[0].preprocess } : x)).join('\n') + '\n';
    writeFileSync(sized, legacy);
    const s2 = cli(...args);
    assert.equal(s2.code, 0, s2.stderr);
    assert.equal(readFileSync(sized, 'utf8'), legacy, 'nothing re-evaluated');
    // a clean set without one of the tree's classes
    rmSync(join(folder, USED[2]), { recursive: true });
    const bad = cli('eval', model, '--imagenet-c', tree, '--data', `folder:${folder}`, '--results', join(dir, 'bad.jsonl'));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\[EVAL_SOURCE_MISMATCH\].*class folders n01494475 that the clean set/);
    // no requested severity present at all
    const none = cli('eval', model, '--imagenet-c', tree, '--corruptions', 'fog', '--severity', '2', '--results', join(dir, 'none.jsonl'));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /\[EVAL_BAD_SEVERITY\].*has none of the requested .* \(fog\/2\)/);
  });
});
