/** The one --data parser: canonical strings round-trip; anything else is a coded usage error, never a crash. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ActbenchError } from '../../src/errors.js';
import { dataName, dataSpecArg, DATA_KINDS, formatDataSpec, isCifar, isFolder, parseDataSpec, specInputs, type DataSpec } from '../../src/data/spec.js';

const SPEC_CODES = new Set(['DATA_UNKNOWN', 'DATA_BAD_SPEC', 'DATA_MISSING_PART', 'DATA_EXTRA_PART', 'DATA_EMPTY_PATH', 'DATA_BAD_PATH']);

function refuses(text: string, code: string, message?: RegExp): void {
  assert.throws(() => parseDataSpec(text), (e: unknown) => {
    assert.ok(e instanceof ActbenchError, String(e));
    assert.equal(e.code, code, `${JSON.stringify(text)}: ${e.message}`);
    assert.equal(e.field, 'data');
    assert.equal(e.exit, 2);
    if (message) assert.match(e.message, message);
    return true;
  });
}

// paths: any characters (full unicode, ':' included) but NUL, not blank; npy paths also without ','
const path = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((p) => !p.includes('\0') && p.trim().length > 0);
const npyPath = path.filter((p) => !p.includes(','));
const spec: fc.Arbitrary<DataSpec> = fc.oneof(
  fc.constant<DataSpec>({ kind: 'mnist' }),
  fc.constant<DataSpec>({ kind: 'fashion-mnist' }),
  path.map((dir): DataSpec => ({ kind: 'fashion-mnist', dir })),
  fc.tuple(fc.constantFrom('mnist-idx', 'cifar10', 'cifar100', 'folder') as fc.Arbitrary<'mnist-idx' | 'cifar10' | 'cifar100' | 'folder'>, path).map(([kind, dir]): DataSpec => ({ kind, dir })),
  fc.tuple(npyPath, npyPath).map(([images, labels]): DataSpec => ({ kind: 'npy', images, labels })),
);

describe('parseDataSpec / formatDataSpec', () => {
  it('every spec round-trips: parse(format(s)) = s and its text is canonical', () => {
    fc.assert(
      fc.property(spec, (s) => {
        const text = formatDataSpec(s);
        assert.deepEqual(parseDataSpec(text), s);
        assert.equal(formatDataSpec(parseDataSpec(text)), text);
        assert.equal(dataSpecArg(text), text);
        assert.equal(dataName(text), s.kind);
      }),
      { numRuns: 2000 },
    );
  });
  it('random text: either a spec whose canonical form is the text, or a coded usage error', () => {
    const junk = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.tuple(fc.constantFrom(...DATA_KINDS, 'MNIST', 'cifar', 'npz', 'folders', ''), fc.constantFrom('', ':', '::', ',', ':,', ': ', ':a,', ':a,b', ':a,b,c', ':\0', ':a:b'), fc.string({ maxLength: 6 })).map(([k, sep, tail]) => k + sep + tail),
      spec.chain((s) => fc.tuple(fc.constant(formatDataSpec(s)), fc.nat(50), fc.string({ maxLength: 3 }))).map(([t, at, ins]) => t.slice(0, at % (t.length + 1)) + ins + t.slice(at % (t.length + 1))),
    );
    fc.assert(
      fc.property(junk, (text) => {
        let parsed: DataSpec;
        try {
          parsed = parseDataSpec(text);
        } catch (e) {
          assert.ok(e instanceof ActbenchError, `${JSON.stringify(text)} threw ${String(e)}`);
          assert.ok(SPEC_CODES.has(e.code), `${JSON.stringify(text)}: code ${e.code}`);
          assert.equal(e.exit, 2);
          return;
        }
        assert.equal(formatDataSpec(parsed), text);
      }),
      { numRuns: 3000 },
    );
  });
  it('refuses unknown kinds with close matches, missing and extra parts, empty paths', () => {
    refuses('mnst', 'DATA_UNKNOWN', /unknown dataset 'mnst' \(did you mean mnist.*\): use mnist, fashion-mnist\[:DIR\]/);
    refuses('cifar-10:/d', 'DATA_UNKNOWN', /did you mean cifar10/);
    refuses('imagenet', 'DATA_UNKNOWN', /unknown dataset 'imagenet'/);
    refuses('', 'DATA_BAD_SPEC');
    refuses('cifar10', 'DATA_MISSING_PART', /cifar10 needs a directory: cifar10:DIR/);
    refuses('folder', 'DATA_MISSING_PART');
    refuses('npy', 'DATA_MISSING_PART');
    refuses('npy:images.npy', 'DATA_MISSING_PART', /two files/);
    refuses('npy:a.npy,b.npy,c.npy', 'DATA_EXTRA_PART', /exactly two files.*got 3/);
    refuses('mnist:/data/mnist', 'DATA_EXTRA_PART', /use mnist-idx:\/data\/mnist/);
    refuses('cifar10:', 'DATA_EMPTY_PATH');
    refuses('folder:   ', 'DATA_EMPTY_PATH');
    refuses('npy:,labels.npy', 'DATA_EMPTY_PATH', /images file is empty/);
    refuses('npy:images.npy,', 'DATA_EMPTY_PATH', /labels file is empty/);
    refuses('fashion-mnist:', 'DATA_EMPTY_PATH', /fashion-mnist alone/);
    refuses('folder:/a\0b', 'DATA_BAD_PATH');
  });
  it('keeps everything after the first colon as the path', () => {
    assert.deepEqual(parseDataSpec('folder:/mnt/c:/x y'), { kind: 'folder', dir: '/mnt/c:/x y' });
    assert.deepEqual(parseDataSpec('npy:/a:b/i.npy,/l.npy'), { kind: 'npy', images: '/a:b/i.npy', labels: '/l.npy' });
  });
  it('predicates and inputs', () => {
    assert.equal(isCifar('cifar100:/d'), true);
    assert.equal(isCifar('mnist'), false);
    assert.equal(isFolder('folder:/x'), true);
    assert.equal(isFolder({ kind: 'npy', images: 'a', labels: 'b' }), false);
    assert.deepEqual(specInputs('npy:/i.npy,/l.npy'), ['/i.npy', '/l.npy']);
    assert.deepEqual(specInputs('cifar10:/c'), ['/c']);
    assert.match(specInputs('mnist')[0], /mnist[/\\]src[/\\]digits$/);
    const before = process.env.FASHION_MNIST_DIR;
    process.env.FASHION_MNIST_DIR = '/elsewhere/fm';
    try {
      assert.deepEqual(specInputs('fashion-mnist'), ['/elsewhere/fm']);
      assert.deepEqual(specInputs('fashion-mnist:/mine'), ['/mine']);
    } finally {
      if (before === undefined) delete process.env.FASHION_MNIST_DIR;
      else process.env.FASHION_MNIST_DIR = before;
    }
  });
});
