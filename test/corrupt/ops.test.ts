/** The shared image operations on inputs whose results are known. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  affineFromPoints, boxResize, clippedZoom, cvResizeLinear, diskKernel, gaussianFilter, gaussianKernel1d, hsv2rgb, motionBlur, plasmaFractal,
  reflect, reflect101, rgb2hsv, roundHalfEven, warpAffine, zoomLinear,
} from '../../src/corrupt/ops.js';
import { NumpyRandomState } from '../../src/corrupt/rng.js';

const close = (a: number, b: number, tol = 1e-12) => Math.abs(a - b) <= tol;

describe('shared image operations', () => {
  it('borders: scipy reflect (cba|abcd|dcb) and OpenCV REFLECT_101 (dcb|abcd|cba)', () => {
    assert.deepEqual([-3, -2, -1, 0, 3, 4, 5, 6].map((i) => reflect(i, 4)), [2, 1, 0, 0, 3, 3, 2, 1]);
    assert.deepEqual([-3, -2, -1, 0, 3, 4, 5, 6].map((i) => reflect101(i, 4)), [3, 2, 1, 0, 3, 2, 1, 0]);
  });
  it('Gaussian filter: scipy kernel radius int(4σ + 0.5), an impulse spreads into the normalised kernel, constants stay constant', () => {
    const k = gaussianKernel1d(1);
    assert.equal(k.length, 9);
    assert.ok(close(k.reduce((a, b) => a + b, 0), 1));
    assert.equal(gaussianKernel1d(0.4).length, 5); // int(1.6 + 0.5) = 2
    const img = new Float64Array(11 * 11);
    img[5 * 11 + 5] = 1;
    const out = gaussianFilter({ data: img, h: 11, w: 11, c: 1 }, 1).data;
    for (let y = 0; y < 11; y++) for (let x = 0; x < 11; x++) assert.ok(close(out[y * 11 + x], (k[y - 1] ?? 0) * (k[x - 1] ?? 0), 1e-15));
    const flat = gaussianFilter({ data: new Float64Array(5 * 5 * 3).fill(0.3), h: 5, w: 5, c: 3 }, 0.8).data;
    assert.ok(flat.every((v) => close(v, 0.3)));
  });
  it('zoom order 1 is align-corners bilinear; clipped zoom by 1 is the identity', () => {
    const z = zoomLinear({ data: Float64Array.from([0, 1, 2, 3]), h: 2, w: 2, c: 1 }, 3, 3).data;
    assert.deepEqual(Array.from(z), [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
    const img = Float64Array.from({ length: 32 * 32 * 3 }, (_, k) => (k % 97) / 97);
    assert.deepEqual(Array.from(clippedZoom({ data: img, h: 32, w: 32, c: 3 }, 1).data), Array.from(img));
    assert.equal(roundHalfEven(32.5), 32);
    assert.equal(roundHalfEven(33.5), 34);
  });
  it('defocus disk: radius 0.3 is one pixel, radius 1 a plus of 5, normalised to 1 before the anti-alias blur', () => {
    for (const [r, expectedTaps] of [[0.3, 1], [1, 5], [1.5, 9]] as const) {
      const { k, size } = diskKernel(r, 1e-3); // a tiny alias blur keeps the support visible
      assert.equal(size, 17);
      assert.ok(close(k.reduce((a, b) => a + b, 0), 1, 1e-5));
      assert.equal(Array.from(k).filter((v) => v > 1e-3).length, expectedTaps);
    }
  });
  it('plasma fractal: [0, 1] with both ends hit, deterministic under a seed', () => {
    const a = plasmaFractal(32, 3, new NumpyRandomState(1));
    const b = plasmaFractal(32, 3, new NumpyRandomState(1));
    assert.deepEqual(Array.from(a), Array.from(b));
    assert.equal(Math.min(...a), 0);
    assert.equal(Math.max(...a), 1);
    assert.notDeepEqual(Array.from(plasmaFractal(32, 3, new NumpyRandomState(2))), Array.from(a));
  });
  it('motion blur: a constant image stays constant; a dot smears one-sided along the angle', () => {
    const flat = motionBlur(new Uint8Array(16 * 16).fill(100), 16, 16, 1, 6, 2, 30);
    assert.ok(flat.every((v) => v === 100));
    const dot = new Uint8Array(21 * 21);
    dot[10 * 21 + 10] = 255;
    const h = motionBlur(dot, 21, 21, 1, 3, 2, 0);
    // angle 0: output(y, x) gathers pixels x…x+6 of its row, so the dot shows to its left only, fading
    const row = Array.from(h.subarray(10 * 21, 11 * 21));
    for (let x = 0; x < 21; x++) if (x < 4 || x > 10) assert.equal(row[x], 0, `x=${x}`);
    for (let x = 5; x <= 10; x++) assert.ok(row[x] > row[x - 1], `x=${x}`);
    assert.equal(Math.max(...row), row[10]);
    assert.ok(h.every((v, k) => Math.floor(k / 21) === 10 || v === 0));
  });
  it('Pillow BOX: 2× down-scaling averages 2×2 blocks (rounded), up-scaling repeats pixels', () => {
    const src = Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150]);
    assert.deepEqual(Array.from(boxResize(src, 4, 4, 1, 2, 2)), [25, 45, 105, 125]);
    assert.deepEqual(Array.from(boxResize(Uint8Array.from([1, 2, 3, 4]), 2, 2, 1, 4, 4)), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
  it('OpenCV bilinear resize: sizes round(W·f), constant images stay constant, a ramp stays monotone', () => {
    const r = cvResizeLinear(new Uint8Array(10 * 15 * 3).fill(77), 10, 15, 3, 0.2);
    assert.deepEqual([r.h, r.w], [2, 3]);
    assert.ok(r.data.every((v) => v === 77));
    const ramp = Uint8Array.from({ length: 20 }, (_, k) => k * 10);
    const up = cvResizeLinear(ramp, 1, 20, 1, 2);
    assert.deepEqual([up.h, up.w], [2, 40]);
    for (let k = 1; k < 40; k++) assert.ok(up.data[k] >= up.data[k - 1] && up.data[40 + k] === up.data[k]);
    assert.deepEqual(Array.from(up.data.subarray(0, 4)), [0, 3, 8, 13]); // s = (o + 0.5)/f − 0.5, 11-bit weights
  });
  it('affine: the solved map sends the points where asked; warping by the identity changes nothing', () => {
    const src = [[26, 26], [26, 6], [6, 6]];
    const dst = [[27, 25.5], [24, 7], [6.5, 5]];
    const M = affineFromPoints(src, dst);
    for (let k = 0; k < 3; k++) {
      assert.ok(close(M[0] * src[k][0] + M[1] * src[k][1] + M[2], dst[k][0], 1e-9));
      assert.ok(close(M[3] * src[k][0] + M[4] * src[k][1] + M[5], dst[k][1], 1e-9));
    }
    const img = Float32Array.from({ length: 8 * 8 * 2 }, (_, k) => (k * 7) % 13);
    assert.deepEqual(Array.from(warpAffine({ data: img, h: 8, w: 8, c: 2 }, [1, 0, 0, 0, 1, 0]).data), Array.from(img));
  });
  it('HSV (scikit-image): known colours and a round trip', () => {
    assert.deepEqual(rgb2hsv(1, 0, 0), [0, 1, 1]);
    assert.deepEqual(rgb2hsv(0, 0, 1), [4 / 6, 1, 1]);
    assert.deepEqual(rgb2hsv(0.5, 0.5, 0.5), [0, 0, 0.5]);
    const [h, s, v] = rgb2hsv(0.2, 0.7, 0.4);
    const back = hsv2rgb(h, s, v);
    [0.2, 0.7, 0.4].forEach((c, k) => assert.ok(close(back[k], c, 1e-12)));
  });
});
