/**
 * The output directory of the corruption pipeline: the manifest (written in progress, then complete), resume
 * only the same recipe, --force, the lock, outputs that never touch inputs, filesystem errors.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { readCorruptionManifest } from '../../src/corrupt/manifest.js';
import { corruptArraySet, corruptFolder, type CorruptRunOptions } from '../../src/corrupt/pipeline.js';
import type { ImageSet } from '../../src/data/dataset.js';
import { ActbenchError } from '../../src/errors.js';
import { LOCK_FILE } from '../../src/util/lock.js';
import { rng } from '../helpers.js';
import { coded } from '../coded.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-corrupt-out-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const toySet = (n: number, seed = 4): ImageSet => {
  const r = rng(seed);
  return { name: 'toy', images: Uint8Array.from({ length: n * 32 * 32 * 3 }, () => Math.floor(r() * 256)), labels: Int32Array.from({ length: n }, (_, k) => k % 3), height: 32, width: 32, channels: 3, numClasses: 3 };
};
const set = toySet(6);
const base = { corruptions: ['contrast', 'brightness'], severities: [1, 5], seed: 3, workers: 1, chunk: 3 } as Omit<CorruptRunOptions, 'out'>;
/** sha256 of every file under a path, with their relative names */
function treeHash(p: string): string {
  const h = createHash('sha256');
  const walk = (q: string, rel: string) => {
    if (statSync(q).isDirectory()) for (const n of readdirSync(q).sort()) walk(join(q, n), `${rel}/${n}`);
    else h.update(`${rel}\n`).update(readFileSync(q));
  };
  walk(p, '');
  return h.digest('hex');
}
function imageFolder(root: string): void {
  for (const [cls, v] of [['cat', 40], ['dog', 200]] as const) {
    mkdirSync(join(root, cls), { recursive: true });
    const png = new PNG({ width: 32, height: 32 });
    for (let k = 0; k < png.data.length; k++) png.data[k] = k % 4 === 3 ? 255 : (v + k) % 256;
    writeFileSync(join(root, cls, 'a.png'), PNG.sync.write(png));
  }
}

describe('the manifest of a corrupted set', () => {
  it('records the layout (severity order, images per severity, subset, shape, seed, preset) and says complete', async () => {
    const out = join(dir, 'm');
    const r = await corruptArraySet(set, { ...base, corruptions: ['fog', 'contrast'], severities: [5, 2], out, subset: { split: 'train', selection: 'first test' } }, 'npy:/x.npy,/y.npy');
    const m = readCorruptionManifest(out);
    assert.ok(m);
    assert.deepEqual(m, r.manifest);
    assert.equal(m.version, 1);
    assert.equal(m.status, 'complete');
    assert.equal(m.layout, 'cifar-c');
    assert.deepEqual(m.severities, [5, 2]);
    assert.deepEqual(m.corruptions, ['fog', 'contrast']); // canonical order
    assert.equal(m.imagesPerSeverity, 6);
    assert.deepEqual(m.subset, { split: 'train', selection: 'first test', images: 6, perClass: { 0: 2, 1: 2, 2: 2 } });
    assert.deepEqual(m.shape, [32, 32, 3]);
    assert.equal(m.seed, 3);
    assert.equal(m.preset, 'cifar');
    assert.match(m.inputSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(existsSync(join(out, LOCK_FILE)), false, 'lock released');
  });
  it('an interrupted run leaves a manifest that says in progress, which readers refuse', async () => {
    const out = join(dir, 'cut');
    let seen = 0;
    await assert.rejects(corruptArraySet(set, { ...base, out, onProgress: () => { if (++seen === 2) throw new Error('killed'); } }, 'toy'), /killed/);
    assert.throws(() => readCorruptionManifest(out), coded('CORRUPT_INCOMPLETE', /unfinished corruption set/));
    assert.equal(readCorruptionManifest(out, { allowIncomplete: true })?.status, 'in-progress');
    await corruptArraySet(set, { ...base, out }, 'toy');
    assert.equal(readCorruptionManifest(out)?.status, 'complete');
  });
  it('a corrupted manifest.json is a coded error naming the file; --force regenerates', async () => {
    const out = join(dir, 'badjson');
    await corruptArraySet(set, { ...base, out }, 'toy');
    writeFileSync(join(out, 'manifest.json'), '{"version": 1, "sever');
    await assert.rejects(corruptArraySet(set, { ...base, out }, 'toy'), (e: unknown) => coded('CORRUPT_BAD_MANIFEST', /manifest\.json is not valid JSON/)(e) && (e as ActbenchError).file === join(out, 'manifest.json'));
    await corruptArraySet(set, { ...base, out, force: true }, 'toy');
    assert.equal(readCorruptionManifest(out)?.status, 'complete');
  });
});

describe('rerunning into an existing --out', () => {
  const first = join(dir, 'first');
  const reference = join(dir, 'reference');
  it('resumes the same recipe (nothing rewritten)', async () => {
    await corruptArraySet(set, { ...base, out: first }, 'toy');
    const again = await corruptArraySet(set, { ...base, out: first, workers: 2, chunk: 1 }, 'toy');
    assert.equal(again.written.length, 0);
    assert.equal(again.skipped.length, 2);
  });
  for (const [what, change, field] of [
    ['another seed', { seed: 4 }, /seed: stored 3, requested 4/],
    ['other severities', { severities: [1, 3] }, /severities\[1\]: stored 5, requested 3/],
    ['other corruptions', { corruptions: ['contrast', 'fog'] }, /corruptions\[0\]/],
    ['original frost', { frostDir: new URL('../fixtures/frost', import.meta.url).pathname }, /frost: stored "procedural/],
  ] as const) {
    it(`with ${what}: refused naming the field, the outputs untouched`, async () => {
      const before = treeHash(first);
      await assert.rejects(corruptArraySet(set, { ...base, ...change, out: first } as CorruptRunOptions, 'toy'), (e: unknown) => e instanceof ActbenchError && e.code === 'RESUME_MISMATCH' && field.test(e.message));
      assert.equal(treeHash(first), before);
    });
  }
  it('with other source images or another subset: refused', async () => {
    await assert.rejects(corruptArraySet(toySet(6, 5), { ...base, out: first }, 'toy'), coded('RESUME_MISMATCH', /inputSha256/));
    await assert.rejects(corruptArraySet(set, { ...base, out: first, subset: { split: 'train', selection: 'all' } }, 'toy'), coded('RESUME_MISMATCH', /subset\.split: stored "test", requested "train"/));
    await assert.rejects(corruptArraySet(set, { ...base, out: first }, 'other'), coded('RESUME_MISMATCH', /source: stored "toy", requested "other"/));
  });
  it('--force regenerates: the old outputs are gone and the set equals a fresh run', async () => {
    const next = { ...base, corruptions: ['fog'], severities: [2], seed: 9 } as Omit<CorruptRunOptions, 'out'>;
    await corruptArraySet(set, { ...next, out: first, force: true }, 'toy');
    await corruptArraySet(set, { ...next, out: reference }, 'toy');
    assert.deepEqual(readdirSync(first).sort(), ['fog.npy', 'labels.npy', 'manifest.json']);
    assert.equal(treeHash(first), treeHash(reference));
  });
  it('a forced run that is interrupted leaves no old output and no complete manifest', async () => {
    const out = join(dir, 'forced-cut');
    await corruptArraySet(set, { ...base, out }, 'toy');
    await assert.rejects(corruptArraySet(set, { ...base, corruptions: ['fog'], out, force: true, onProgress: () => { throw new Error('killed'); } }, 'toy'), /killed/);
    assert.equal(existsSync(join(out, 'contrast.npy')), false);
    assert.equal(existsSync(join(out, 'brightness.npy')), false);
    assert.equal(readCorruptionManifest(out, { allowIncomplete: true })?.status, 'in-progress');
    assert.deepEqual(readCorruptionManifest(out, { allowIncomplete: true })?.corruptions, ['fog']);
  });
  it('outputs of unknown origin (no manifest) are not replaced without --force', async () => {
    const out = join(dir, 'foreign');
    mkdirSync(out);
    writeFileSync(join(out, 'labels.npy'), 'mine');
    await assert.rejects(corruptArraySet(set, { ...base, out }, 'toy'), coded('OUTPUT_EXISTS', /labels\.npy but no manifest\.json/));
    assert.equal(readFileSync(join(out, 'labels.npy'), 'utf8'), 'mine');
    writeFileSync(join(out, 'notes.txt'), 'keep me');
    await corruptArraySet(set, { ...base, out, force: true }, 'toy');
    assert.equal(readFileSync(join(out, 'notes.txt'), 'utf8'), 'keep me', 'files that are not corruption outputs stay');
  });
  it('a second run while another process holds the lock is refused with OUTPUT_LOCKED', async () => {
    const out = join(dir, 'locked');
    mkdirSync(out);
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(join(out, LOCK_FILE), `${holder.pid}\n`);
      await assert.rejects(corruptArraySet(set, { ...base, out }, 'toy'), coded('OUTPUT_LOCKED', new RegExp(`in use by process ${holder.pid}`)));
      assert.deepEqual(readdirSync(out), [LOCK_FILE], 'nothing written');
    } finally {
      holder.kill();
    }
  });
});

describe('outputs never touch inputs', () => {
  const root = join(dir, 'images');
  imageFolder(root);
  for (const [what, out] of [['inside', join(root, 'c')], ['equal to', root], ['containing', dir]] as const) {
    it(`an --out ${what} the folder is refused before any work; the folder stays byte-identical`, async () => {
      const before = treeHash(root);
      await assert.rejects(corruptFolder(root, { ...base, out, corruptions: ['contrast'] }), coded('OUTPUT_TOUCHES_INPUT'));
      assert.equal(treeHash(root), before);
      assert.equal(existsSync(join(root, 'c')), false);
    });
  }
  it('an --out at a dataset file (npy:) is refused', async () => {
    const file = join(dir, 'images.npy');
    writeFileSync(file, 'data');
    for (const out of [file, join(dir, 'images.npy', 'x')]) {
      await assert.rejects(corruptArraySet(set, { ...base, out, inputs: [{ path: file, what: 'dataset' }] }, 'toy'), coded('OUTPUT_TOUCHES_INPUT'));
    }
    assert.equal(readFileSync(file, 'utf8'), 'data');
  });
  it('folder sets record their layout and class counts', async () => {
    const out = join(dir, 'folder-c');
    await corruptFolder(root, { ...base, out, corruptions: ['contrast'], severities: [2] });
    const m = readCorruptionManifest(out);
    assert.equal(m?.layout, 'imagenet-c');
    assert.deepEqual(m?.subset, { split: 'folder', selection: 'all images', images: 2, perClass: { cat: 1, dog: 1 } });
    await assert.rejects(corruptFolder(root, { ...base, out, corruptions: ['contrast'], severities: [3] }), coded('RESUME_MISMATCH', /severities/));
    await assert.rejects(corruptFolder(root, { ...base, out, corruptions: ['contrast'], severities: [2], preset: 'cifar' }), coded('RESUME_MISMATCH', /preset: stored "by image size", requested "cifar"/));
  });
});

describe('filesystem errors name the path', () => {
  it('a file where an output belongs (EISDIR): coded, no half-written final file, not marked complete', async () => {
    const out = join(dir, 'eisdir');
    await corruptArraySet(set, { ...base, out }, 'toy');
    rmSync(join(out, 'labels.npy'));
    mkdirSync(join(out, 'labels.npy', 'x'), { recursive: true });
    await assert.rejects(corruptArraySet(set, { ...base, out }, 'toy'), (e: unknown) => e instanceof ActbenchError && /^FS_/.test(e.code) && e.file === join(out, 'labels.npy'));
    assert.equal(readCorruptionManifest(out, { allowIncomplete: true })?.status, 'in-progress');
    assert.deepEqual(readdirSync(out).filter((n) => n.endsWith('.tmp')), []);
  });
  it('an --out that is a file', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    await assert.rejects(corruptArraySet(set, { ...base, out: file }, 'toy'), coded('OUTPUT_NOT_DIR'));
    await assert.rejects(corruptArraySet(set, { ...base, out: join(file, 'sub') }, 'toy'), (e: unknown) => e instanceof ActbenchError && e.code === 'FS_ENOTDIR' && e.file === join(file, 'sub'));
  });
});
