/**
 * Against the reference generator: test/fixtures/cifar_c_golden (8 corruptions, hendrycks/robustness outputs)
 * and test/fixtures/cifar_c_ref11 (the other 11, made with the same libraries; see make_ref11.py).
 * uint8 outputs equal the reference bit for bit, or within 1 grey level on ≤ 1 % of pixels where the
 * reference computes in float32 (defocus, zoom, elastic, spatter). JPEG is exact too (libjpeg with Pillow's settings).
 * Seeding: np.random.seed(1000·severity + i) before image i.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { corrupt, NumpyRandomState } from '../../src/corrupt/index.js';
import { readNpy } from '../../src/data/npy.js';

// all in the project: a fresh clone runs (and must pass) every comparison; a missing fixture fails
const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const GOLDEN = `${FIXTURES}cifar_c_golden/`;
const FROST = `${FIXTURES}frost`;
const REF11 = `${FIXTURES}cifar_c_ref11/`;
const FROST_FILES = ['frost1.png', 'frost2.png', 'frost3.png', 'frost4.jpg', 'frost5.jpg'];

function fixture(file: string): string {
  assert.ok(existsSync(file), `fixture ${file} is missing (it is part of the repository: restore it with git checkout)`);
  return file;
}
const FLOAT32_REF = new Set(['defocus_blur', 'zoom_blur', 'elastic_transform', 'spatter']);

function compare(name: string, refFile: string): void {
  const input = readNpy(fixture(`${GOLDEN}input.npy`)).data as Uint8Array;
  const ref = readNpy(fixture(refFile)).data as Uint8Array;
  if (name === 'frost') for (const f of FROST_FILES) fixture(`${FROST}/${f}`);
  let differing = 0;
  let maxDiff = 0;
  for (let row = 0; row < 16; row++) {
    const severity = row < 8 ? 1 : 5;
    const i = row % 8;
    const img = { data: input.subarray(i * 3072, (i + 1) * 3072), height: 32, width: 32, channels: 3 };
    const out = corrupt(img, name, severity, { rng: new NumpyRandomState(1000 * severity + i), frostDir: name === 'frost' ? FROST : undefined }).data;
    for (let k = 0; k < 3072; k++) {
      const d = Math.abs(out[k] - ref[row * 3072 + k]);
      if (d) differing++;
      maxDiff = Math.max(maxDiff, d);
    }
  }
  const n = 16 * 3072;
  if (FLOAT32_REF.has(name)) assert.ok(maxDiff <= 1 && differing / n <= 0.01, `${name}: ${differing} pixels differ (max ${maxDiff})`);
  else assert.equal(differing, 0, `${name}: ${differing} of ${n} values differ from the reference (max ${maxDiff})`);
}

describe('bit-exact against the reference generator (CIFAR preset)', () => {
  for (const name of ['gaussian_noise', 'contrast', 'pixelate', 'defocus_blur', 'motion_blur', 'fog', 'glass_blur', 'saturate']) {
    it(`${name} (golden set of the reference generator)`, () => {
      compare(name, `${GOLDEN}${name}.npy`);
    });
  }
  for (const name of ['shot_noise', 'impulse_noise', 'speckle_noise', 'gaussian_blur', 'zoom_blur', 'snow', 'frost', 'brightness', 'elastic_transform', 'jpeg_compression', 'spatter']) {
    it(`${name} (fixtures made with the reference libraries)`, () => {
      compare(name, `${REF11}${name}.npy`);
    });
  }
});
