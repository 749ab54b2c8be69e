/**
 * Frost textures. The reference blends one of five photographs (frost1.png … frost5.jpg; frost6 is never
 * drawn). Those files may not ship with actbench, so by default each of the five is a procedural texture of
 * our own — ice crystals (branching needles) over a cloudy plasma layer, pale blue-white — generated
 * deterministically at the size the preset's resized photograph has. `frostDir` loads the originals for
 * exact parity (read as 8-bit RGB, alpha ignored).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActbenchError } from '../errors.js';
import { decodeWithLibjpeg } from './jpeg.js';
import { gaussianFilter, plasmaFractal } from './ops.js';
import { NumpyRandomState } from './rng.js';

export interface Texture {
  data: Uint8Array;
  h: number;
  w: number;
}

export const FROST_FILES = ['frost1.png', 'frost2.png', 'frost3.png', 'frost4.jpg', 'frost5.jpg'];
const FILES = FROST_FILES;
/** sizes of the original photographs (H × W) */
const SIZES: [number, number][] = [[600, 900], [315, 560], [315, 560], [350, 527], [495, 660]];
const cache = new Map<string, Texture>();

function loadOriginal(dir: string, idx: number): Texture {
  const file = join(dir, FILES[idx]);
  if (!existsSync(file)) throw new ActbenchError('FROST_MISSING', `${file} not found: --frost-dir needs frost1.png … frost5.jpg from hendrycks/robustness`, { file });
  // libjpeg/libpng as the reference's cv2.imread (jpeg-js decodes the JPEG textures slightly differently)
  const img = decodeWithLibjpeg(readFileSync(file));
  if (img.channels !== 3) throw new ActbenchError('FROST_BAD_FILE', `${file}: ${img.channels} channels after decoding, expected RGB`, { file });
  return { data: img.data, h: img.height, w: img.width };
}

/** Refuse a --frost-dir that lacks one of the five textures, before any work (they are read only when drawn). */
export function checkFrostDir(dir: string): void {
  if (!existsSync(dir)) throw new ActbenchError('FROST_MISSING', `--frost-dir ${dir} does not exist`, { file: dir, field: '--frost-dir' });
  const missing = FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) throw new ActbenchError('FROST_MISSING', `${join(dir, missing[0])} not found: --frost-dir needs ${FILES.join(', ')} from hendrycks/robustness (missing: ${missing.join(', ')})`, { file: join(dir, missing[0]), field: '--frost-dir' });
}

/** Procedural frost texture `idx` of h × w pixels (deterministic). */
export function proceduralFrost(idx: number, h: number, w: number): Texture {
  const rng = new NumpyRandomState(7919 + idx);
  const size = 2 ** Math.ceil(Math.log2(Math.max(h, w)));
  const cloud = plasmaFractal(size, 1.6 + 0.1 * idx, rng);
  const ice = new Float64Array(h * w);
  // crystals: random walks that branch, thinning out, like needles growing on glass
  const seeds = Math.round((h * w) / 220);
  for (let s = 0; s < seeds; s++) {
    let y = rng.random() * h;
    let x = rng.random() * w;
    let angle = rng.random() * 2 * Math.PI;
    let len = 4 + rng.random() * Math.max(h, w) * 0.08;
    let strength = 0.5 + 0.5 * rng.random();
    for (let branch = 0; branch < 3 && len > 1; branch++) {
      for (let t = 0; t < len; t++) {
        const yi = Math.round(y);
        const xi = Math.round(x);
        if (yi >= 0 && yi < h && xi >= 0 && xi < w) ice[yi * w + xi] = Math.max(ice[yi * w + xi], strength);
        y += Math.sin(angle);
        x += Math.cos(angle);
        angle += (rng.random() - 0.5) * 0.3;
      }
      angle += (rng.random() < 0.5 ? -1 : 1) * (Math.PI / 3);
      len *= 0.6;
      strength *= 0.8;
    }
  }
  const soft = gaussianFilter({ data: ice, h, w, c: 1 }, Math.max(0.6, Math.max(h, w) / 400), 'nearest').data;
  const data = new Uint8Array(h * w * 3);
  // calibrated on the originals after the CIFAR resize: channel means ≈ 80–215, std ≈ 20–45, bluish
  const base = [0.42, 0.74, 0.7, 0.55, 0.46][idx];
  const tint = [0.84, 0.92, 1];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = Math.min(1, Math.max(0, base + 0.3 * (cloud[y * size + x] - 0.5) + 0.7 * soft[y * w + x] + 0.25 * ice[y * w + x]));
      for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = Math.round(255 * v * tint[c]);
    }
  return { data, h, w };
}

/** Texture `idx` (0–4) at its original size: the photograph from frostDir, or the procedural one. */
export function frostTexture(idx: number, frostDir?: string): Texture {
  const key = `${frostDir ?? 'procedural'}:${idx}`;
  let t = cache.get(key);
  if (!t) {
    if (frostDir) t = loadOriginal(frostDir, idx);
    else {
      // generated at the photograph's own size, so the preset's resize and crop apply unchanged
      const [h, w] = SIZES[idx];
      t = proceduralFrost(idx, h, w);
    }
    cache.set(key, t);
  }
  return t;
}
