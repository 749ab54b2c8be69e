/**
 * The corruption addon (build/Release/actbench_corrupt.node) and its fallbacks: the in-process libjpeg-turbo
 * round trip equals Pillow's bytes (the fixture made with PIL) and the sharp worker's on any size and
 * quality; with the addon missing, JPEG and the RNG give the same bytes through the TypeScript/sharp paths
 * and say why once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { corrupt, NumpyRandomState } from '../../src/corrupt/index.js';
import { jpegCodec, jpegRoundTripMany, jpegRoundTripSharp } from '../../src/corrupt/jpeg.js';
import { corruptionAddon, corruptionAddonStatus } from '../../src/corrupt/native.js';
import { readNpy } from '../../src/data/npy.js';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

function diff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) d++;
  return d;
}

describe('corruption addon', () => {
  it('is loaded, or says why (the JPEG path and the reason agree)', () => {
    const codec = jpegCodec();
    if (corruptionAddon()) assert.deepEqual(codec, { path: 'in-process libjpeg-turbo', reason: '' });
    else assert.match(corruptionAddonStatus(), /actbench_corrupt\.node (is missing|failed to load)/);
  });
  it('JPEG: both codec paths give Pillow\'s bytes exactly (q 80 and 40, the reference fixture)', () => {
    const input = readNpy(`${FIXTURES}cifar_c_golden/input.npy`).data as Uint8Array;
    const ref = readNpy(`${FIXTURES}cifar_c_ref11/jpeg_compression.npy`).data as Uint8Array;
    for (const [row, q] of [[0, 80], [8, 40]]) {
      const want = ref.subarray(row * 3072, (row + 8) * 3072);
      assert.equal(diff(jpegRoundTripMany(input, 32, 32, 3, q), want), 0, `in-process, quality ${q}`);
      assert.equal(diff(jpegRoundTripSharp(input, 32, 32, 3, q), want), 0, `sharp, quality ${q}`);
    }
  });
  it('JPEG: in-process equals the sharp worker on odd sizes, grey images and extreme qualities', () => {
    const rng = new NumpyRandomState(7);
    for (const [w, h, c, q] of [[37, 29, 3, 7], [33, 31, 1, 25], [64, 48, 3, 100], [17, 40, 3, 85], [9, 9, 1, 50]]) {
      const img = new Uint8Array(w * h * c * 2);
      // smooth content plus noise, two images back to back
      for (let k = 0; k < img.length; k++) img[k] = Math.min(255, Math.floor(128 + 90 * Math.sin(k / 23) + 30 * rng.random()));
      assert.equal(diff(jpegRoundTripMany(img, w, h, c, q), jpegRoundTripSharp(img, w, h, c, q)), 0, `${w}×${h}×${c} q${q}`);
    }
  });
  it('without the addon: the same JPEG bytes and random draws, and one message naming the sharp fallback', () => {
    const code = `
      import { corrupt, NumpyRandomState } from './src/corrupt/index.ts';
      const img = { data: Uint8Array.from({ length: 3072 }, (_, k) => (k * 7) % 251), height: 32, width: 32, channels: 3 };
      const r = new NumpyRandomState(11);
      const words = Array.from({ length: 1500 }, () => r.nextUint32());
      const out = {
        jpeg: Array.from(corrupt(img, 'jpeg_compression', 5).data),
        noise: Array.from(corrupt(img, 'gaussian_noise', 5, { seed: 3 }).data),
        words,
      };
      corrupt(img, 'jpeg_compression', 2);
      console.log(JSON.stringify(out));`;
    const root = new URL('../../', import.meta.url).pathname;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ACTBENCH_CORRUPT_ADDON: `${root}build/Release/no-such-addon.node` },
    });
    assert.equal(r.status, 0, r.stderr);
    const child = JSON.parse(r.stdout) as { jpeg: number[]; noise: number[]; words: number[] };
    const img = { data: Uint8Array.from({ length: 3072 }, (_, k) => (k * 7) % 251), height: 32, width: 32, channels: 3 };
    const rs = new NumpyRandomState(11);
    assert.deepEqual(child.words, Array.from({ length: 1500 }, () => rs.nextUint32()));
    assert.deepEqual(child.jpeg, Array.from(corrupt(img, 'jpeg_compression', 5).data));
    assert.deepEqual(child.noise, Array.from(corrupt(img, 'gaussian_noise', 5, { seed: 3 }).data));
    const lines = r.stderr.split('\n').filter((l) => l.includes('sharp worker'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /no-such-addon\.node is missing/);
  });
});
