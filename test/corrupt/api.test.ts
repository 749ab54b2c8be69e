/** corrupt(image, name, severity, options): validation, presets, grey images, determinism. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corrupt, CORRUPTIONS, getCorruptionNames, NumpyRandomState } from '../../src/corrupt/index.js';
import { ActbenchError } from '../../src/errors.js';
import { rng } from '../helpers.js';

const image = (h: number, w: number, c: number, seed = 1) => {
  const r = rng(seed);
  return { data: Uint8Array.from({ length: h * w * c }, () => Math.floor(r() * 256)), height: h, width: w, channels: c };
};

describe('corrupt()', () => {
  it('knows the 19 corruptions in the reference order and the 15 of mCE', () => {
    assert.equal(CORRUPTIONS.length, 19);
    assert.equal(getCorruptionNames('common').length, 15);
    assert.deepEqual(getCorruptionNames('weather'), ['snow', 'frost', 'fog', 'brightness']);
  });
  it('every corruption runs on RGB 32×32 and on grey 28×28 (MNIST) images, deterministically, and changes them', () => {
    for (const img of [image(32, 32, 3), image(28, 28, 1)]) {
      for (const name of CORRUPTIONS) {
        const a = corrupt(img, name, 5, { rng: new NumpyRandomState(3) });
        const b = corrupt(img, name, 5, { rng: new NumpyRandomState(3) });
        assert.equal(a.data.length, img.data.length);
        assert.deepEqual(a.data, b.data, `${name} is not deterministic`);
        assert.ok(a.data.some((v, k) => v !== img.data[k]), `${name} left the image unchanged`);
      }
    }
  });
  it('severity 5 is stronger than severity 1 (mean absolute change), for a smooth image', () => {
    const h = 32;
    const smooth = { data: Uint8Array.from({ length: h * h * 3 }, (_, k) => 60 + ((k * 3) % 97)), height: h, width: h, channels: 3 };
    for (const name of ['gaussian_noise', 'shot_noise', 'gaussian_blur', 'contrast', 'pixelate', 'jpeg_compression', 'fog', 'frost']) {
      const change = (s: number) => corrupt(smooth, name, s, { rng: new NumpyRandomState(1) }).data.reduce((a, v, k) => a + Math.abs(v - smooth.data[k]), 0);
      assert.ok(change(5) > change(1), `${name}: severity 5 (${change(5)}) not stronger than 1 (${change(1)})`);
    }
  });
  it('the preset follows the image size unless given', () => {
    const big = image(64, 64, 3);
    const auto = corrupt(big, 'gaussian_noise', 3, { rng: new NumpyRandomState(1) });
    const tiny = corrupt(big, 'gaussian_noise', 3, { rng: new NumpyRandomState(1), preset: 'tinyimagenet' });
    const cifar = corrupt(big, 'gaussian_noise', 3, { rng: new NumpyRandomState(1), preset: 'cifar' });
    assert.deepEqual(auto.data, tiny.data);
    assert.notDeepEqual(auto.data, cifar.data);
  });
  it('bad input: unknown names (listing the valid ones), severities outside 1–5, images too small, malformed images', () => {
    const img = image(32, 32, 3);
    const code = (fn: () => unknown, c: string, msg: RegExp) =>
      assert.throws(fn, (e: unknown) => e instanceof ActbenchError && e.code === c && msg.test(e.message));
    code(() => corrupt(img, 'gausian_noise', 1), 'CORRUPT_UNKNOWN', /did you mean 'gaussian_noise'.*valid: gaussian_noise, shot_noise/);
    code(() => corrupt(img, 'fog', 0), 'CORRUPT_BAD_SEVERITY', /from 1 to 5, got 0/);
    code(() => corrupt(img, 'fog', 6), 'CORRUPT_BAD_SEVERITY', /got 6/);
    code(() => corrupt(img, 'fog', 2.5), 'CORRUPT_BAD_SEVERITY', /got 2.5/);
    code(() => corrupt(img, 'fog', 1, { preset: 'imagenet' }), 'CORRUPT_TOO_SMALL', /32×32 image is too small for the 'imagenet' preset/);
    code(() => corrupt(image(20, 20, 3), 'fog', 1), 'CORRUPT_TOO_SMALL', /needs a side ≥ 28/);
    code(() => corrupt({ ...img, channels: 4 }, 'fog', 1), 'CORRUPT_BAD_IMAGE', /1 \(grey\) or 3 \(RGB\)/);
    code(() => corrupt({ ...img, height: 31 }, 'fog', 1), 'CORRUPT_BAD_IMAGE', /3072 bytes, expected/);
  });
});
