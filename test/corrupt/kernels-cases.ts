/**
 * The cases of kernels.test.ts, imported by the test (with the corruption addon) and by its child process
 * (without it): every corruption × severity on RGB and grey images of the CIFAR and Tiny-ImageNet presets,
 * square and not, as base64 of the uint8 result and of the float result (with its array type).
 */
import { corrupt, corruptFloat, CORRUPTIONS, NumpyRandomState } from '../../src/corrupt/index.js';

export const FROST = new URL('../fixtures/frost', import.meta.url).pathname;

export function kernelCases(): Record<string, [string, string]> {
  const shapes = [[32, 32, 3], [32, 32, 1], [29, 37, 3], [64, 64, 3]];
  const images = shapes.map(([h, w, c], s) => {
    const r = new NumpyRandomState(100 + s);
    const data = new Uint8Array(h * w * c);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++)
          data[(y * w + x) * c + ch] = Math.min(255, Math.floor(40 + 80 * Math.sin(x / 5 + ch) ** 2 + 60 * Math.cos(y / 4) ** 2 + ((x - 14) ** 2 + (y - 12) ** 2 < 50 ? 70 : 0) + 25 * r.random()));
    return { data, height: h, width: w, channels: c };
  });
  const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  const out: Record<string, [string, string]> = {};
  for (const name of CORRUPTIONS)
    for (let severity = 1; severity <= 5; severity++)
      images.forEach((img, i) => {
        const o = { seed: 17 * severity + i, frostDir: FROST };
        const f = corruptFloat(img, name, severity, o);
        out[`${name}:${severity}:${i}`] = [b64(corrupt(img, name, severity, o).data), `${f.constructor.name}:${b64(f)}`];
      });
  return out;
}
