/**
 * CIFAR-10/100 python release (torchvision's cifar-10-batches-py/, cifar-100-python/): files pickled by
 * Python with numpy, in the original Python 2 form (str keys and data as SHORT_BINSTRING/BINSTRING) and in
 * Python 3's protocol-2 form (bytes through _codecs.encode); pixels and labels compared with what Python
 * reads the way torchvision does (pickle.load(f, encoding='latin1'), reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readCifar, readCifarPickle } from '../../src/data/cifar.js';
import { parsePickle } from '../../src/data/pickle.js';
import { loadDataset } from '../../src/data/sources.js';
import { ActbenchError } from '../../src/errors.js';

const PY = '/usr/bin/python3';
const hasNumpy = existsSync(PY) && spawnSync(PY, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'actbench-cifar-pickle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function python(script: string): void {
  const r = spawnSync(PY, ['-c', script], { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 0, r.stderr);
}

/** Writers shared by the scripts: `py2` emits bytes and str as Python 2 str (SHORT_BINSTRING / BINSTRING), as cPickle wrote the released files. */
const WRITERS = String.raw`
import io, json, pickle, struct, numpy as np
class Py2Pickler(pickle._Pickler):
    dispatch = dict(pickle._Pickler.dispatch)
    def save_py2str(self, obj):
        n = len(obj)
        self.write((b'U' + bytes([n]) if n < 256 else b'T' + struct.pack('<i', n)) + obj)
        self.memoize(obj)
    dispatch[bytes] = save_py2str
    # numpy's own strings ('u1', '|', 'b') were Python 2 str too
    def save_str(self, obj):
        n = len(obj.encode('latin1'))
        self.write((b'U' + bytes([n]) if n < 256 else b'T' + struct.pack('<i', n)) + obj.encode('latin1'))
        self.memoize(obj)
    dispatch[str] = save_str
def dump(path, obj, py2):
    with open(path, 'wb') as f:
        (Py2Pickler(f, protocol=2) if py2 else pickle.Pickler(f, protocol=2)).dump(obj)
def reference(folder, files, key, out):
    # what torchvision's CIFAR10 dataset holds: data reshaped to HWC, labels from 'labels' / 'fine_labels'
    data, labels = [], []
    for name in files:
        with open(folder + '/' + name, 'rb') as f:
            entry = pickle.load(f, encoding='latin1')
        # Python 3 bytes keys stay bytes (they are pickled through _codecs.encode)
        entry = {(k.decode('latin1') if isinstance(k, bytes) else k): v for k, v in entry.items()}
        data.append(entry['data']); labels.extend(entry[key])
    hwc = np.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))
    open(out + '.bin', 'wb').write(np.ascontiguousarray(hwc).tobytes())
    json.dump([int(l) for l in labels], open(out + '.json', 'w'))
`;

describe('CIFAR python (pickle) release', { skip: !hasNumpy && 'needs /usr/bin/python3 with numpy' }, () => {
  it('CIFAR-10 (Python 2 pickles, as released): pixels, labels and class names equal what Python reads', () => {
    python(`${WRITERS}
import os
rs = np.random.RandomState(1)
os.makedirs('c10/cifar-10-batches-py')
names = [b'airplane', b'automobile', b'bird', b'cat', b'deer', b'dog', b'frog', b'horse', b'ship', b'truck']
dump('c10/cifar-10-batches-py/batches.meta', {b'num_cases_per_batch': 3, b'label_names': names, b'num_vis': 3072}, True)
files = ['data_batch_%d' % i for i in range(1, 6)]
for k, name in enumerate(files + ['test_batch']):
    n = 3 if name != 'test_batch' else 4
    d = {b'batch_label': b'batch ' + name.encode(), b'labels': [int(x) for x in rs.randint(0, 10, n)],
         b'data': rs.randint(0, 256, (n, 3072)).astype(np.uint8), b'filenames': [b'f%d.png' % i for i in range(n)]}
    dump('c10/cifar-10-batches-py/' + name, d, True)
reference('c10/cifar-10-batches-py', files, 'labels', 'c10-train')
reference('c10/cifar-10-batches-py', ['test_batch'], 'labels', 'c10-test')
`);
    // the parent directory (torchvision's root) finds cifar-10-batches-py/
    const ds = loadDataset(`cifar10:${join(dir, 'c10')}`);
    for (const [set, ref] of [[ds.train, 'c10-train'], [ds.test, 'c10-test']] as const) {
      assert.deepEqual(Buffer.from(set.images), readFileSync(join(dir, `${ref}.bin`)), `${ref} pixels`);
      assert.deepEqual([...set.labels], JSON.parse(readFileSync(join(dir, `${ref}.json`), 'utf8')), `${ref} labels`);
    }
    assert.equal(ds.train.labels.length, 15);
    assert.equal(ds.test.labels.length, 4);
    assert.equal(ds.train.classNames?.[9], 'truck');
    assert.deepEqual([ds.test.height, ds.test.width, ds.test.channels, ds.test.numClasses], [32, 32, 3, 10]);
  });

  it('CIFAR-100 (Python 3 protocol-2 pickles with bytes keys): fine labels and fine names', () => {
    python(`${WRITERS}
import os
rs = np.random.RandomState(2)
os.makedirs('cifar-100-python')
dump('cifar-100-python/meta', {b'fine_label_names': [b'c%d' % i for i in range(100)], b'coarse_label_names': [b'g%d' % i for i in range(20)]}, False)
for name, n in (('train', 6), ('test', 3)):
    fine = [int(x) for x in rs.randint(0, 100, n)]
    dump('cifar-100-python/' + name, {b'filenames': [b'x'] * n, b'batch_label': name.encode(), b'fine_labels': fine,
         b'coarse_labels': [f // 5 for f in fine], b'data': rs.randint(0, 256, (n, 3072)).astype(np.uint8)}, False)
reference('cifar-100-python', ['train'], 'fine_labels', 'c100-train')
reference('cifar-100-python', ['test'], 'fine_labels', 'c100-test')
`);
    const ds = readCifar(join(dir, 'cifar-100-python'), 'cifar100');
    for (const [set, ref] of [[ds.train, 'c100-train'], [ds.test, 'c100-test']] as const) {
      assert.deepEqual(Buffer.from(set.images), readFileSync(join(dir, `${ref}.bin`)), `${ref} pixels`);
      assert.deepEqual([...set.labels], JSON.parse(readFileSync(join(dir, `${ref}.json`), 'utf8')), `${ref} labels`);
    }
    assert.ok([...ds.train.labels].some((l) => l >= 20), 'fine labels, not the 20 coarse ones');
    assert.equal(ds.test.classNames?.[42], 'c42');
  });

  it('refuses pickles that name other globals, are truncated, or do not hold a CIFAR batch', () => {
    python(`${WRITERS}
import os
class Evil:
    def __reduce__(self):
        return (os.system, ('touch pwned',))
dump('evil', {b'data': Evil()}, True)
dump('nodata', {b'labels': [1]}, True)
dump('count', {b'data': np.zeros((2, 3072), np.uint8), b'labels': [1]}, True)
dump('float', {b'data': np.zeros((2, 3072), np.float64), b'labels': [1, 2]}, True)
dump('shape', {b'data': np.zeros((2, 1024), np.uint8), b'labels': [1, 2]}, True)
dump('label', {b'data': np.zeros((2, 3072), np.uint8), b'labels': [1, 10]}, False)
dump('fortran', {b'data': np.asfortranarray(np.arange(2 * 3072).reshape(2, 3072).astype(np.uint8)), b'labels': [1, 2]}, True)
dump('ok', {b'data': np.arange(3072, dtype=np.uint8).reshape(1, 3072), b'labels': [7]}, True)
`);
    const refuses = (name: string, code: string, message: RegExp, variant: 'cifar10' | 'cifar100' = 'cifar10') =>
      assert.throws(() => readCifarPickle(join(dir, name), variant), (e: unknown) => {
        assert.ok(e instanceof ActbenchError, String(e));
        assert.equal(e.code, code, e.message);
        assert.equal(e.file, join(dir, name));
        assert.match(e.message, message);
        return true;
      });
    refuses('evil', 'PICKLE_BAD_GLOBAL', /refusing global '(posix|os)\.system'/);
    assert.ok(!existsSync(join(dir, 'pwned')), 'nothing was run');
    refuses('nodata', 'CIFAR_BAD_PICKLE', /'data' is missing/);
    refuses('count', 'CIFAR_BAD_PICKLE', /1 'labels' for 2 rows of 'data'/);
    refuses('float', 'PICKLE_UNSUPPORTED', /numpy dtype 'f8'/);
    refuses('shape', 'CIFAR_BAD_PICKLE', /'data' is u1 \(2, 1024\), expected uint8 \(N, 3072\)/);
    refuses('fortran', 'PICKLE_UNSUPPORTED', /Fortran-order numpy array/);
    refuses('label', 'CIFAR_BAD_LABEL', /label 10 at index 1 is outside 0..9/);
    refuses('label', 'CIFAR_BAD_PICKLE', /'fine_labels' is missing/, 'cifar100');
    // one good batch: the R plane first, then G, then B (CHW → HWC)
    const ok = readCifarPickle(join(dir, 'ok'), 'cifar10');
    assert.deepEqual([ok.images[0], ok.images[1], ok.images[2], ok.images[3]], [0, 1024 % 256, 2048 % 256, 1]);
    assert.deepEqual([...ok.labels], [7]);
    const good = readFileSync(join(dir, 'ok'));
    for (const cut of [1, 40, good.length - 1]) {
      assert.throws(() => parsePickle(good.subarray(0, cut), 'ok'), (e: unknown) => e instanceof ActbenchError && e.code === 'PICKLE_BAD' && /truncated|no STOP/.test(e.message));
    }
    assert.throws(() => parsePickle(Buffer.from('(lp0\nI1\na.'), 'text'), (e: unknown) => e instanceof ActbenchError && e.code === 'PICKLE_UNSUPPORTED' && /byte 1: opcode 0x6c/.test(e.message));
  });

  it('a partly present release names its first missing file', () => {
    python(`${WRITERS}
import os
os.makedirs('part/cifar-10-batches-py')
for name in ('data_batch_1', 'data_batch_2'):
    dump('part/cifar-10-batches-py/' + name, {b'data': np.zeros((1, 3072), np.uint8), b'labels': [0]}, True)
`);
    assert.throws(() => readCifar(join(dir, 'part'), 'cifar10'), (e: unknown) => e instanceof ActbenchError && e.code === 'CIFAR_MISSING' && e.file === join(dir, 'part', 'cifar-10-batches-py', 'data_batch_3') && /python directory has data_batch_1/.test(e.message));
    assert.throws(() => readCifar(join(dir, 'part', 'cifar-10-batches-py', 'data_batch_1'), 'cifar10'), (e: unknown) => e instanceof ActbenchError && e.code === 'CIFAR_MISSING' && /holds neither cifar10 release/.test(e.message));
  });
});
