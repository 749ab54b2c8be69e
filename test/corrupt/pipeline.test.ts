/** The corruption pipeline: official layouts, worker-count independence, exact resume, bad input. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { corrupt, deriveSeed, NumpyRandomState } from '../../src/corrupt/index.js';
import { corruptArraySet, corruptFolder } from '../../src/corrupt/pipeline.js';
import type { ImageSet } from '../../src/data/dataset.js';
import { readNpy } from '../../src/data/npy.js';
import { CifarC, openImagenetC } from '../../src/data/released.js';
import { cli, rng } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-corrupt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function toySet(n: number): ImageSet {
  const r = rng(4);
  return { name: 'toy', images: Uint8Array.from({ length: n * 32 * 32 * 3 }, () => Math.floor(r() * 256)), labels: Int32Array.from({ length: n }, (_, k) => k % 10), height: 32, width: 32, channels: 3, numClasses: 10 };
}
const CORR = ['gaussian_noise', 'glass_blur', 'frost', 'jpeg_compression'] as const;

describe('corruption pipeline', () => {
  const set = toySet(10);
  it('writes CIFAR-10-C layout: <corruption>.npy severity-major + labels.npy, equal to corrupt() per image', async () => {
    const out = join(dir, 'a');
    const r = await corruptArraySet(set, { corruptions: [...CORR], severities: [1, 3, 5], seed: 7, out, workers: 2, chunk: 3 }, 'toy');
    assert.equal(r.written.length, 4);
    const labels = readNpy(join(out, 'labels.npy'));
    assert.deepEqual(labels.header.shape, [30]);
    assert.deepEqual([...(labels.data as Uint8Array).slice(10, 13)], [0, 1, 2]);
    for (const c of CORR) {
      const f = readNpy(join(out, `${c}.npy`));
      assert.deepEqual(f.header.shape, [30, 32, 32, 3]);
      // severity 3 (second block), image 4
      const img = { data: set.images.subarray(4 * 3072, 5 * 3072), height: 32, width: 32, channels: 3 };
      const expected = corrupt(img, c, 3, { rng: new NumpyRandomState(deriveSeed(7, c, 3, 4)) }).data;
      assert.deepEqual(Buffer.from((f.data as Uint8Array).subarray(14 * 3072, 15 * 3072)), Buffer.from(expected), c);
    }
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.severities, [1, 3, 5]);
    assert.match(manifest.frost, /procedural/);
  });
  it('one worker and several give identical files', async () => {
    const a = join(dir, 'w1');
    const b = join(dir, 'w2');
    await corruptArraySet(set, { corruptions: ['snow', 'shot_noise'], severities: [2], seed: 1, out: a, workers: 1, chunk: 10 }, 'toy');
    await corruptArraySet(set, { corruptions: ['snow', 'shot_noise'], severities: [2], seed: 1, out: b, workers: 2, chunk: 2 }, 'toy');
    for (const c of ['snow', 'shot_noise']) assert.deepEqual(readFileSync(join(a, `${c}.npy`)), readFileSync(join(b, `${c}.npy`)));
  });
  it('resumes an interrupted run to the same bytes, and skips finished files', async () => {
    const full = join(dir, 'full');
    const cut = join(dir, 'cut');
    const opts = { corruptions: ['fog', 'elastic_transform'] as ('fog' | 'elastic_transform')[], severities: [1, 5], seed: 3, workers: 1, chunk: 2 };
    await corruptArraySet(set, { ...opts, out: full }, 'toy');
    let seen = 0;
    await assert.rejects(
      corruptArraySet(set, { ...opts, out: cut, onProgress: () => { if (++seen === 3) throw new Error('interrupted'); } }, 'toy'),
      /interrupted/,
    );
    assert.ok(existsSync(join(cut, 'fog.npy.partial')) && existsSync(join(cut, 'fog.npy.progress.json')));
    assert.equal(existsSync(join(cut, 'fog.npy')), false, 'no half-written final file');
    const resumed = await corruptArraySet(set, { ...opts, out: cut }, 'toy');
    assert.deepEqual(resumed.written.map((f) => f.split('/').pop()), ['fog.npy', 'elastic_transform.npy']);
    for (const c of opts.corruptions) assert.deepEqual(readFileSync(join(cut, `${c}.npy`)), readFileSync(join(full, `${c}.npy`)));
    assert.deepEqual(readdirSync(cut).filter((f) => f.includes('partial') || f.includes('progress')), []);
    const again = await corruptArraySet(set, { ...opts, out: cut }, 'toy');
    assert.equal(again.written.length, 0);
    assert.equal(again.skipped.length, 2);
  });
  it('image folders become ImageNet-C trees <corruption>/<severity>/<class>/<file>', async () => {
    const root = join(dir, 'folder');
    for (const [cls, v] of [['cat', 40], ['dog', 200]] as const) {
      mkdirSync(join(root, cls), { recursive: true });
      const png = new PNG({ width: 32, height: 32 });
      for (let k = 0; k < png.data.length; k++) png.data[k] = k % 4 === 3 ? 255 : (v + k) % 256;
      writeFileSync(join(root, cls, 'a.png'), PNG.sync.write(png));
    }
    const out = join(dir, 'folder-c');
    const r = await corruptFolder(root, { corruptions: ['contrast', 'zoom_blur'], severities: [1, 5], seed: 0, out, workers: 2 });
    assert.equal(r.images, 8);
    const tree = openImagenetC(out);
    assert.deepEqual(tree.corruptions, ['zoom_blur', 'contrast']);
    const listing = tree.list('contrast', 5);
    assert.deepEqual(listing.classes, ['cat', 'dog']);
    assert.equal(listing.entries[0].relative, join('cat', 'a.JPEG'));
    const again = await corruptFolder(root, { corruptions: ['contrast', 'zoom_blur'], severities: [1, 5], seed: 0, out, workers: 1 });
    assert.equal(again.images, 0);
    assert.equal(again.skipped.length, 8);
  });
  it('reads released CIFAR-10-C directories by severity and rejects inconsistent ones', async () => {
    const out = join(dir, 'released');
    await corruptArraySet(set, { corruptions: ['brightness'], severities: [1, 2, 3, 4, 5], seed: 0, out, workers: 1 }, 'toy');
    const c = new CifarC(out);
    assert.deepEqual(c.corruptions, ['brightness']);
    assert.equal(c.perSeverity, 10);
    const s3 = c.read('brightness', 3, 2, 5);
    assert.equal(s3.images.length, 3 * 3072);
    assert.deepEqual([...s3.labels], [2, 3, 4]);
    assert.throws(() => c.read('brightness', 6), /severity 6 outside 1..5/);
    assert.throws(() => new CifarC(join(dir, 'nowhere')), /labels\.npy not found/);
  });
  it('the CLI rejects unknown corruptions and bad severities before writing anything', () => {
    const out = join(dir, 'cli-bad');
    const a = cli('corrupt', '--data', 'mnist', '--corruptions', 'gaussian_noise,fogg', '--out', out);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /\[CLI_BAD_FLAG\].*unknown corruption 'fogg' \(did you mean 'fog'\?\); valid: gaussian_noise/);
    const b = cli('corrupt', '--data', 'mnist', '--severity', '0-3', '--out', out);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /--severity: expects 1–5/);
    assert.equal(existsSync(out), false);
  });
  it('the CLI writes a preview grid and a small MNIST-C with every core', () => {
    const svg = join(dir, 'preview.svg');
    const p = cli('corrupt', '--preview', '--data', 'mnist', '--corruptions', 'noise', '--preview-images', '1', '--out', svg);
    assert.equal(p.code, 0, p.stderr);
    const text = readFileSync(svg, 'utf8');
    assert.equal((text.match(/<image /g) ?? []).length, 3 * 6);
    const out = join(dir, 'mnist-c');
    const r = cli('corrupt', '--data', 'mnist', '--limit', '20', '--severity', '5', '--corruptions', 'weather', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const f = readNpy(join(out, 'snow.npy'));
    assert.deepEqual(f.header.shape, [20, 28, 28]);
  });
});
