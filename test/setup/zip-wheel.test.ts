/** The wheel reader: zip directory and streamed members, member selection, header closure, CUDA extras. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { extraRequirements, extractHeaders, headerClosure, nvidiaLibraries, quotedIncludes, selectLibraries } from '../../src/setup/wheel.js';
import { extractEntry, readZipDirectory } from '../../src/setup/zip.js';
import { makeZip } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-zip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, zip: Buffer): string {
  const f = join(dir, name);
  writeFileSync(f, zip);
  return f;
}

describe('zip reader', () => {
  const big = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
  const file = write('a.zip', makeZip([{ name: 'x/deflated.bin', data: big }, { name: 'stored.txt', data: 'hello', store: true }, { name: 'empty', data: '', store: true }]));

  it('lists members with sizes and streams them out byte for byte', async () => {
    const entries = readZipDirectory(file);
    assert.deepEqual(entries.map((e) => [e.name, e.size, e.method]), [['x/deflated.bin', 300_000, 8], ['stored.txt', 5, 0], ['empty', 0, 0]]);
    for (const e of entries) await extractEntry(file, e, join(dir, e.name.replace(/\//g, '_')));
    assert.ok(readFileSync(join(dir, 'x_deflated.bin')).equals(big));
    assert.equal(readFileSync(join(dir, 'stored.txt'), 'utf8'), 'hello');
    assert.equal(readFileSync(join(dir, 'empty')).length, 0);
  });

  it('a member whose CRC does not match is an error, not a file', async () => {
    const zip = makeZip([{ name: 'm', data: 'payload', store: true }]);
    zip[30 + 1] ^= 0xff; // flip a data byte of the stored member
    const f = write('crc.zip', zip);
    await assert.rejects(extractEntry(f, readZipDirectory(f)[0], join(dir, 'crc.out')), (e: Error & { code?: string }) => e.code === 'TF_WHEEL_CORRUPT' && /CRC/.test(e.message));
  });

  it('a file that is not a zip says so', () => {
    const f = join(dir, 'not.whl');
    writeFileSync(f, 'just text');
    assert.throws(() => readZipDirectory(f), (e: Error & { code?: string; file?: string }) => e.code === 'TF_WHEEL_CORRUPT' && e.file === f);
    assert.throws(() => readZipDirectory(join(dir, 'absent.whl')), (e: Error & { code?: string }) => e.code === 'TF_WHEEL_MISSING');
  });
});

describe('wheel member selection', () => {
  const entry = (name: string) => ({ name, method: 8, crc: 0, compressedSize: 1, size: 1, localOffset: 0 });

  it('takes exactly the two C-API libraries', () => {
    const names = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2', 'tensorflow/python/_pywrap_tensorflow_internal.so', 'tensorflow/include/tensorflow/c/c_api.h'];
    assert.deepEqual(selectLibraries('w.whl', names.map(entry)).libraries.map((e) => e.name), names.slice(0, 2));
  });

  it('a wheel without them is incompatible, naming what is missing', () => {
    assert.throws(
      () => selectLibraries('old.whl', ['tensorflow/libtensorflow_framework.so.2', 'tensorflow/python/x.so'].map(entry)),
      (e: Error & { code?: string; file?: string }) => e.code === 'TF_WHEEL_INCOMPATIBLE' && e.file === 'old.whl' && /libtensorflow_cc\.so\.2/.test(e.message) && !/framework/.test(e.message.split('lacks')[1].split(':')[0]),
    );
  });

  it('the nvidia libraries of CUDA wheels keep their wheel paths; nothing else is taken', () => {
    const names = ['nvidia/cublas/lib/libcublas.so.12', 'nvidia/cublas/lib/libcublasLt.so.12', 'nvidia/cublas/include/cublas.h', 'nvidia/__init__.py', 'nvidia_cublas_cu12-12.5.dist-info/METADATA'];
    assert.deepEqual(nvidiaLibraries(names.map(entry)).map((e) => e.name), names.slice(0, 2));
  });
});

describe('headers the binding needs', () => {
  it('quoted includes only', () => {
    assert.deepEqual(quotedIncludes('#include <vector>\n#include "a/b.h"\n  #  include "c.h" // x\n'), ['a/b.h', 'c.h']);
  });

  it('follows includes transitively, resolves relative ones, survives cycles, reports the unresolved', async () => {
    const files: Record<string, string> = {
      'tensorflow/c/c_api.h': '#include "tensorflow/c/tf_status.h"\n#include "tensorflow/core/platform/ctstring.h"\n#include <stddef.h>',
      'tensorflow/c/tf_status.h': '#include "c_api_macros.h"\n#include "tensorflow/c/c_api.h"',
      'tensorflow/c/c_api_macros.h': '',
      'tensorflow/core/platform/ctstring.h': '#include "tsl/platform/ctstring.h"',
      'tsl/platform/ctstring.h': '#include "napi_auto_ref.h"',
      'tensorflow/cc/unused.h': '',
    };
    let reads = 0;
    const r = await headerClosure(['tensorflow/c/c_api.h'], async (n) => (reads++, files[n] ?? null));
    assert.deepEqual(r.found, ['tensorflow/c/c_api.h', 'tensorflow/c/c_api_macros.h', 'tensorflow/c/tf_status.h', 'tensorflow/core/platform/ctstring.h', 'tsl/platform/ctstring.h']);
    assert.deepEqual(r.unresolved, ['napi_auto_ref.h']);
    assert.ok(reads < 12, `${reads} lookups`);
  });

  it('extracts the closure from a wheel; a wheel without the C API headers is incompatible', async () => {
    const inc = 'tensorflow/include/';
    const f = write('h.whl', makeZip([
      { name: `${inc}tensorflow/c/c_api.h`, data: '#include "tensorflow/c/tf_tensor.h"' },
      { name: `${inc}tensorflow/c/eager/c_api.h`, data: '#include "tensorflow/c/c_api.h"' },
      { name: `${inc}tensorflow/c/tf_tensor.h`, data: '/* tensor */' },
      { name: `${inc}tensorflow/core/framework/op.h`, data: 'unused' },
    ]));
    const out = join(dir, 'inc');
    const r = await extractHeaders(f, readZipDirectory(f), ['#include "tensorflow/c/c_api.h"\n#include "tensorflow/c/eager/c_api.h"\n#include "utils.h"'], out);
    assert.equal(r.count, 3);
    assert.equal(readFileSync(join(out, 'tensorflow/c/tf_tensor.h'), 'utf8'), '/* tensor */');
    assert.equal(existsSync(join(out, 'tensorflow/core/framework/op.h')), false);
    const g = write('noh.whl', makeZip([{ name: `${inc}tensorflow/c/c_api.h`, data: '' }]));
    await assert.rejects(extractHeaders(g, readZipDirectory(g), ['#include "tensorflow/c/c_api.h"'], join(dir, 'inc2')), (e: Error & { code?: string }) => e.code === 'TF_WHEEL_INCOMPATIBLE' && /eager\/c_api\.h/.test(e.message));
  });
});

describe('CUDA requirements from the wheel METADATA', () => {
  it('the and-cuda extra only, markers stripped', () => {
    const meta = [
      'Metadata-Version: 2.1',
      'Name: tensorflow',
      'Requires-Dist: numpy>=1.26.0',
      'Requires-Dist: nvidia-cublas-cu12==12.5.3.2 ; extra == "and-cuda"',
      "Requires-Dist: nvidia-cudnn-cu12 == 9.3.0.75; extra == 'and_cuda'",
      'Requires-Dist: keras>=3; extra == "keras"',
      'Requires-Dist: tensorflow-io-gcs-filesystem>=0.23.1; python_version < "3.12"',
    ].join('\n');
    assert.deepEqual(extraRequirements(meta, 'and-cuda'), ['nvidia-cublas-cu12==12.5.3.2', 'nvidia-cudnn-cu12==9.3.0.75']);
    assert.deepEqual(extraRequirements(meta, 'gpu'), []);
  });
});
