/**
 * imagenet-val:DIR,LABELS[,SYNSETS]: a flat folder of JPEGs labelled by LOC_val_solution.csv or a synset
 * map; class index = position in the sorted synset list; images in (class, file) order.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { decodeImage } from '../../src/data/folder.js';
import { listImagenetVal } from '../../src/data/imagenet-val.js';
import { loadDataset } from '../../src/data/sources.js';
import { formatDataSpec, parseDataSpec, specInputs } from '../../src/data/spec.js';
import { ActbenchError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-imagenet-val-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function jpg(file: string, v: number): void {
  const data = Buffer.alloc(16 * 16 * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (v + (i >> 2) * 3) % 256;
  writeFileSync(file, jpeg.encode({ data, width: 16, height: 16 }, 95).data);
}

// 5 synsets in the map; the folder's 6 images use 3 of them
const SYNSETS = ['n01440764 tench, Tinca tinca', 'n01443537 goldfish, Carassius auratus', 'n01484850 great white shark', 'n01491361 tiger shark', 'n01494475 hammerhead'];
const IMAGES: [string, string][] = [
  ['ILSVRC2012_val_00000001', 'n01491361'], ['ILSVRC2012_val_00000002', 'n01443537'], ['ILSVRC2012_val_00000003', 'n01491361'],
  ['ILSVRC2012_val_00000004', 'n01494475'], ['ILSVRC2012_val_00000005', 'n01443537'], ['ILSVRC2012_val_00000006', 'n01491361'],
];
const val = join(dir, 'val');
mkdirSync(val);
IMAGES.forEach(([id], k) => jpg(join(val, `${id}.JPEG`), 20 * k));
writeFileSync(join(val, '.DS_Store'), 'x');
const csv = join(dir, 'LOC_val_solution.csv');
// rows in another order than the files, an extra row for an image not in the folder, boxes repeated
writeFileSync(csv, ['ImageId,PredictionString', ...[...IMAGES].reverse().map(([id, w]) => `${id},${w} 10 20 100 200 ${w} 5 5 50 50 `), 'ILSVRC2012_val_00049999,n01440764 1 2 3 4', ''].join('\r\n'));
const map = join(dir, 'LOC_synset_mapping.txt');
// deliberately unsorted: the class order is the sorted synset list, not the file's
writeFileSync(map, [SYNSETS[3], SYNSETS[0], SYNSETS[4], SYNSETS[1], SYNSETS[2]].join('\n') + '\n');

const refuses = (fn: () => unknown, code: string, file: string, message: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ActbenchError, String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.file, file);
    assert.match(e.message, message);
    return true;
  });

describe('imagenet-val', () => {
  it('the spec parses, formats and names its inputs', () => {
    const s = parseDataSpec(`imagenet-val:${val},${csv},${map}`);
    assert.deepEqual(s, { kind: 'imagenet-val', dir: val, labels: csv, synsets: map });
    assert.equal(formatDataSpec(s), `imagenet-val:${val},${csv},${map}`);
    assert.deepEqual(specInputs(s), [val, csv, map]);
    assert.deepEqual(parseDataSpec('imagenet-val:a,b'), { kind: 'imagenet-val', dir: 'a', labels: 'b' });
    for (const [text, code] of [['imagenet-val', 'DATA_MISSING_PART'], ['imagenet-val:a', 'DATA_MISSING_PART'], ['imagenet-val:a,b,c,d', 'DATA_EXTRA_PART'], ['imagenet-val:a,', 'DATA_EMPTY_PATH']]) {
      assert.throws(() => parseDataSpec(text), (e: unknown) => e instanceof ActbenchError && e.code === code && e.exit === 2, text);
    }
  });

  it('CSV + synset map: labels are positions in the sorted synset list, images in (class, file) order, pixels decoded', () => {
    const ds = loadDataset(`imagenet-val:${val},${csv},${map}`);
    const t = ds.test;
    assert.equal(t.numClasses, 5);
    assert.deepEqual(t.classNames, SYNSETS.map((l) => l.split(' ')[0]));
    // goldfish (1): 2, 5; tiger shark (3): 1, 3, 6; hammerhead (4): 4
    assert.deepEqual([...t.labels], [1, 1, 3, 3, 3, 4]);
    const order = [2, 5, 1, 3, 6, 4];
    const px = 16 * 16 * 3;
    order.forEach((k, i) => assert.deepEqual(t.images.subarray(i * px, (i + 1) * px), decodeImage(join(val, `ILSVRC2012_val_0000000${k}.JPEG`)).data, `image ${i}`));
    assert.equal(ds.train.labels.length, 0, 'evaluation only: no training images');
    assert.equal(ds.split.testFraction, 1);
    const listing = listImagenetVal(val, csv, map);
    assert.equal(listing.entries[0].relative, join('n01443537', 'ILSVRC2012_val_00000002.JPEG'));
  });

  it('CSV alone: the classes are every synset of the CSV (not only those in the folder)', () => {
    const t = loadDataset(`imagenet-val:${val},${csv}`).test;
    assert.deepEqual(t.classNames, ['n01440764', 'n01443537', 'n01491361', 'n01494475']);
    assert.deepEqual([...t.labels], [1, 1, 2, 2, 2, 3]);
  });

  it('a synset map alone labels files by their nXXXXXXXX_ prefix', () => {
    const pre = join(dir, 'prefixed');
    mkdirSync(pre);
    jpg(join(pre, 'n01494475_7.JPEG'), 1);
    jpg(join(pre, 'n01440764_3.JPEG'), 2);
    const t = loadDataset(`imagenet-val:${pre},${map}`).test;
    assert.deepEqual([...t.labels], [0, 4]);
    jpg(join(pre, 'ILSVRC2012_val_00000001.JPEG'), 3);
    refuses(() => listImagenetVal(pre, map), 'IMAGENET_VAL_UNLABELLED', join(pre, 'ILSVRC2012_val_00000001.JPEG'), /no synset prefix .* give imagenet-val:DIR,LOC_val_solution\.csv/);
  });

  it('malformed labels files: coded errors with the line number', () => {
    const bad = (name: string, text: string) => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const header = 'ImageId,PredictionString\n';
    const rows = IMAGES.map(([id, w]) => `${id},${w} 1 2 3 4`);
    let f = bad('noid.csv', header + rows.slice(0, 2).join('\n') + '\njust-text\n' + rows.slice(2).join('\n'));
    refuses(() => listImagenetVal(val, f), 'IMAGENET_VAL_BAD_CSV', f, /noid\.csv:4: "just-text" is not "ImageId,nXXXXXXXX/);
    f = bad('nownid.csv', header + rows[0] + '\nILSVRC2012_val_00000002,dog 1 2 3 4\n');
    refuses(() => listImagenetVal(val, f), 'IMAGENET_VAL_BAD_CSV', f, /:3: image ILSVRC2012_val_00000002: prediction "dog" is not a synset id/);
    f = bad('dup.csv', header + rows[0] + '\n' + rows[0] + '\n');
    refuses(() => listImagenetVal(val, f), 'IMAGENET_VAL_BAD_CSV', f, /:3: image ILSVRC2012_val_00000001 repeats line 2/);
    f = bad('two.csv', header + 'ILSVRC2012_val_00000001,n01443537 1 2 3 4 n01491361 1 2 3 4\n');
    refuses(() => listImagenetVal(val, f), 'IMAGENET_VAL_BAD_CSV', f, /:2: .*boxes of two synsets/);
    f = bad('header.csv', 'id,label\n' + rows[0]);
    refuses(() => listImagenetVal(val, f), 'IMAGENET_VAL_BAD_SYNSETS', f, /header\.csv:1: "id,label" does not start with a synset id/);
    f = bad('missing.csv', header + rows.slice(1).join('\n'));
    refuses(() => listImagenetVal(val, f), 'IMAGENET_VAL_UNLABELLED', join(val, 'ILSVRC2012_val_00000001.JPEG'), /no row ImageId ILSVRC2012_val_00000001 in .*missing\.csv/);
    const small = bad('small-map.txt', `${SYNSETS[0]}\n${SYNSETS[1]}\n`);
    refuses(() => listImagenetVal(val, csv, small), 'IMAGENET_VAL_UNKNOWN_SYNSET', csv, /LOC_val_solution\.csv:\d+: synset n01491361 of ILSVRC2012_val_00000001\.JPEG is not in .*small-map\.txt \(2 synsets/);
    const dupMap = bad('dup-map.txt', `${SYNSETS[0]}\n\n${SYNSETS[0]}\n`);
    refuses(() => listImagenetVal(val, csv, dupMap), 'IMAGENET_VAL_BAD_SYNSETS', dupMap, /dup-map\.txt:3: synset n01440764 repeats line 1/);
    refuses(() => listImagenetVal(val, map, map), 'IMAGENET_VAL_BAD_CSV', map, /must be LOC_val_solution\.csv/);
    // a class-per-folder val set is pointed at folder:
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'n01440764'), { recursive: true });
    refuses(() => listImagenetVal(tree, csv), 'IMAGENET_VAL_EMPTY', tree, /sub-folders: a class-per-folder val set is read with folder:DIR/);
  });
});
