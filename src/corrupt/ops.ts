/**
 * Shared image operations of the corruptions, each reproducing the library call the reference generator
 * makes (corruptions.md §2.3): scipy's Gaussian filter, clipped zoom (scipy zoom order 1), the defocus disk
 * kernel (OpenCV GaussianBlur + filter2D), the plasma fractal, ImageMagick's motion blur, Pillow's BOX resize,
 * OpenCV's bilinear resize and warpAffine, scipy's map_coordinates, and scikit-image's HSV conversions.
 * Images are HWC arrays with explicit height, width and channels. The Gaussian filter, clipped zoom,
 * filter2D, motion blur, plasma fractal, BOX resize, warpAffine and map_coordinates run their loops in the corruption
 * addon when it is loaded (native/kernels.cc: the same operations in the same order, so the same values);
 * the loops here are the fallback.
 */
import { BoundedMemo } from '../util/memo.js';
import { corruptionAddon } from './native.js';
import type { NumpyRandomState } from './rng.js';

const addon = corruptionAddon();

export type FloatArray = Float64Array | Float32Array;

export interface Plane {
  data: FloatArray;
  h: number;
  w: number;
  c: number;
}

// ---------------------------------------------------------------- borders

/** scipy 'nearest' (aaa|abcd|ddd) */
export const nearest = (i: number, n: number): number => (i < 0 ? 0 : i >= n ? n - 1 : i);
/** scipy 'reflect' = half-sample symmetric (cba|abcd|dcb) */
export function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * n;
  let k = i % p;
  if (k < 0) k += p;
  return k < n ? k : p - 1 - k;
}
/** OpenCV BORDER_REFLECT_101 = scipy 'mirror' (dcb|abcd|cba) */
export function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * n - 2;
  let k = i % p;
  if (k < 0) k += p;
  return k < n ? k : p - k;
}

// ---------------------------------------------------------------- (a) Gaussian filter

export function gaussianKernel1d(sigma: number, truncate = 4): Float64Array {
  const r = Math.trunc(truncate * sigma + 0.5);
  const w = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let t = -r; t <= r; t++) {
    w[t + r] = Math.exp((-0.5 / (sigma * sigma)) * t * t);
    sum += w[t + r];
  }
  for (let k = 0; k < w.length; k++) w[k] /= sum;
  return w;
}

/**
 * scipy.ndimage.gaussian_filter with σ on both spatial axes and 0 on channels (scikit-image's
 * `gaussian(..., multichannel=True)`): axis 0 then axis 1, accumulated as scipy does (centre tap, then
 * symmetric pairs from the outside in); a Float32Array input is rounded to float32 after each pass.
 * Each line is copied once into a bordered buffer so the inner loop has no index arithmetic.
 */
export function gaussianFilter(p: Plane, sigma: number, mode: 'nearest' | 'reflect' = 'nearest', truncate = 4): Plane {
  if (sigma === 0) return { ...p, data: p.data.slice() };
  const w = kernelFor(sigma, truncate);
  if (addon) {
    const out = p.data instanceof Float32Array ? new Float32Array(p.data.length) : new Float64Array(p.data.length);
    addon.gaussFilter(p.data, out, p.h, p.w, p.c, w, mode === 'reflect');
    return { ...p, data: out };
  }
  const r = (w.length - 1) >> 1;
  const { h, w: W, c } = p;
  const f32 = p.data instanceof Float32Array;
  const src = p.data;
  // the intermediate in a reused buffer of the input's type (float32 inputs round after each pass)
  const mid = f32 ? (midF32.length >= src.length ? midF32 : (midF32 = new Float32Array(src.length))) : midF64.length >= src.length ? midF64 : (midF64 = new Float64Array(src.length));
  const out = f32 ? new Float32Array(src.length) : new Float64Array(src.length);
  const border = mode === 'nearest' ? nearest : reflect;
  const L = W * c;
  if (gaussAcc.length < L) gaussAcc = new Float64Array(L);
  const acc = gaussAcc;
  const wc = w[r];
  // axis 0, a whole row at a time: acc = x[y]·w₀, then += (x[y−k] + x[y+k])·w_k from the outermost k in
  // (scipy's order per sample, so the same sums as a line-by-line filter)
  for (let y = 0; y < h; y++) {
    const row = y * L;
    for (let i = 0; i < L; i++) acc[i] = src[row + i] * wc;
    for (let k = r; k >= 1; k--) {
      const wk = w[r + k];
      const up = border(y - k, h) * L;
      const dn = border(y + k, h) * L;
      for (let i = 0; i < L; i++) acc[i] += (src[up + i] + src[dn + i]) * wk;
    }
    for (let i = 0; i < L; i++) mid[row + i] = acc[i];
  }
  // axis 1: each row bordered once (r pixels each side), then the same taps along it
  const PL = (W + 2 * r) * c;
  if (gaussRow.length < PL) gaussRow = new Float64Array(PL);
  const pr = gaussRow;
  for (let y = 0; y < h; y++) {
    const row = y * L;
    for (let x = -r; x < W + r; x++) {
      const sx = x < 0 || x >= W ? border(x, W) : x;
      for (let ch = 0; ch < c; ch++) pr[(x + r) * c + ch] = mid[row + sx * c + ch];
    }
    const base = r * c;
    for (let i = 0; i < L; i++) acc[i] = pr[base + i] * wc;
    for (let k = r; k >= 1; k--) {
      const wk = w[r + k];
      const lo = base - k * c;
      const hi = base + k * c;
      for (let i = 0; i < L; i++) acc[i] += (pr[lo + i] + pr[hi + i]) * wk;
    }
    for (let i = 0; i < L; i++) out[row + i] = acc[i];
  }
  return { ...p, data: out };
}

/** the last few kernels (a corruption asks for the same σ image after image) */
const kernels = new BoundedMemo<string, Float64Array>(16);
const kernelFor = (sigma: number, truncate: number) => kernels.get(`${sigma}:${truncate}`, () => gaussianKernel1d(sigma, truncate));

let gaussAcc = new Float64Array(0);
let midF32 = new Float32Array(0);
let midF64 = new Float64Array(0);
let gaussRow = new Float64Array(0);

// ---------------------------------------------------------------- (c) clipped zoom

/** scipy.ndimage.zoom order 1 (align-corners bilinear) of an H×W×C plane to oh×ow (coefficients per axis computed once). */
export function zoomLinear(p: Plane, oh: number, ow: number): Plane {
  const f32 = p.data instanceof Float32Array;
  const out = f32 ? new Float32Array(oh * ow * p.c) : new Float64Array(oh * ow * p.c);
  const axis = (n: number, o: number) => {
    const s = o > 1 ? (n - 1) / (o - 1) : 0;
    const i0 = new Int32Array(o);
    const i1 = new Int32Array(o);
    const t = new Float64Array(o);
    for (let k = 0; k < o; k++) {
      const f = k * s;
      i0[k] = Math.min(Math.floor(f), n - 1);
      i1[k] = Math.min(i0[k] + 1, n - 1);
      t[k] = f - i0[k];
    }
    return { i0, i1, t };
  };
  const ay = axis(p.h, oh);
  const ax = axis(p.w, ow);
  const C = p.c;
  const d = p.data;
  for (let y = 0; y < oh; y++) {
    const ty = ay.t[y];
    const r0 = ay.i0[y] * p.w;
    const r1 = ay.i1[y] * p.w;
    for (let x = 0; x < ow; x++) {
      const tx = ax.t[x];
      const a = (r0 + ax.i0[x]) * C;
      const b = (r0 + ax.i1[x]) * C;
      const c0 = (r1 + ax.i0[x]) * C;
      const c1 = (r1 + ax.i1[x]) * C;
      const o = (y * ow + x) * C;
      for (let ch = 0; ch < C; ch++) {
        out[o + ch] = (1 - ty) * ((1 - tx) * d[a + ch] + tx * d[b + ch]) + ty * ((1 - tx) * d[c0 + ch] + tx * d[c1 + ch]);
      }
    }
  }
  return { data: out, h: oh, w: ow, c: p.c };
}

/** Python's round(): half to even */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Zoom into the centre by z and keep the size (rows and columns handled separately): crop ceil(n/z)
 * centred, zoom it to round(c·z) with scipy's order-1 zoom, trim back to n — fused into one sampling pass
 * with the same arithmetic (no intermediate arrays; zoom_blur calls it up to 26 times per image).
 */
export function clippedZoom(p: Plane, z: number): Plane {
  if (addon && z >= 1) {
    const out = p.data instanceof Float32Array ? new Float32Array(p.data.length) : new Float64Array(p.data.length);
    addon.clippedZoom(p.data, out, p.h, p.w, p.c, Float64Array.of(z), false);
    return { data: out, h: p.h, w: p.w, c: p.c };
  }
  const axis = (n: number) => {
    const c = Math.ceil(n / z);
    const top = Math.floor((n - c) / 2);
    const m = roundHalfEven(c * z);
    const trim = Math.floor((m - n) / 2);
    const s = m > 1 ? (c - 1) / (m - 1) : 0;
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const t = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const f = (k + trim) * s;
      const a = Math.min(Math.floor(f), c - 1);
      i0[k] = top + a;
      i1[k] = top + Math.min(a + 1, c - 1);
      t[k] = f - a;
    }
    return { i0, i1, t };
  };
  const ay = axis(p.h);
  const ax = axis(p.w);
  const C = p.c;
  const d = p.data;
  const out = p.data instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length);
  for (let y = 0; y < p.h; y++) {
    const ty = ay.t[y];
    const r0 = ay.i0[y] * p.w;
    const r1 = ay.i1[y] * p.w;
    for (let x = 0; x < p.w; x++) {
      const tx = ax.t[x];
      const a = (r0 + ax.i0[x]) * C;
      const b = (r0 + ax.i1[x]) * C;
      const c0 = (r1 + ax.i0[x]) * C;
      const c1 = (r1 + ax.i1[x]) * C;
      const o = (y * p.w + x) * C;
      for (let ch = 0; ch < C; ch++) out[o + ch] = (1 - ty) * ((1 - tx) * d[a + ch] + tx * d[b + ch]) + ty * ((1 - tx) * d[c0 + ch] + tx * d[c1 + ch]);
    }
  }
  return { data: out, h: p.h, w: p.w, c: C };
}

export function crop2d(p: Plane, top: number, left: number, h: number, w: number): Plane {
  const f32 = p.data instanceof Float32Array;
  const out = f32 ? new Float32Array(h * w * p.c) : new Float64Array(h * w * p.c);
  for (let y = 0; y < h; y++) {
    const row = ((top + y) * p.w + left) * p.c;
    out.set(p.data.subarray(row, row + w * p.c), y * w * p.c);
  }
  return { data: out, h, w, c: p.c };
}

// ---------------------------------------------------------------- (d) defocus disk kernel

/** OpenCV getGaussianKernel for σ > 0 as a float32 kernel (weights t·(1/Σt) computed in double, then rounded) */
function cvGaussian1d(ksize: number, sigma: number): Float32Array {
  const t = new Float64Array(ksize);
  const scale2 = -0.5 / (sigma * sigma);
  let sum = 0;
  for (let i = 0; i < ksize; i++) {
    const x = i - (ksize - 1) * 0.5;
    t[i] = Math.exp(scale2 * x * x);
    sum += t[i];
  }
  const inv = 1 / sum;
  return Float32Array.from(t, (v) => v * inv);
}

/** The defocus kernel: an anti-aliased disk, float32 as the reference computes it. */
export function diskKernel(radius: number, aliasBlur: number): { k: Float32Array; size: number } {
  const L = radius <= 8 ? 8 : Math.ceil(radius);
  const ksize = radius <= 8 ? 3 : 5;
  const size = 2 * L + 1;
  const disk = new Float32Array(size * size);
  let sum = 0;
  for (let y = -L; y <= L; y++)
    for (let x = -L; x <= L; x++) {
      const v = x * x + y * y <= radius * radius ? 1 : 0;
      disk[(y + L) * size + (x + L)] = v;
      sum += v;
    }
  for (let i = 0; i < disk.length; i++) disk[i] = Math.fround(disk[i] / sum);
  // cv2.GaussianBlur(kernel, (ksize, ksize), sigmaX=aliasBlur), separable, BORDER_REFLECT_101
  const g = cvGaussian1d(ksize, aliasBlur);
  const r = (ksize - 1) / 2;
  const tmp = new Float32Array(disk.length);
  // float32 arithmetic, as OpenCV filters a CV_32F image
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let acc = 0;
      for (let t = -r; t <= r; t++) acc = Math.fround(acc + Math.fround(disk[y * size + reflect101(x + t, size)] * g[t + r]));
      tmp[y * size + x] = acc;
    }
  const k = new Float32Array(disk.length);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let acc = 0;
      for (let t = -r; t <= r; t++) acc = Math.fround(acc + Math.fround(tmp[reflect101(y + t, size) * size + x] * g[t + r]));
      k[y * size + x] = acc;
    }
  return { k, size };
}

let padBuf = new Float64Array(0);
/**
 * cv2.filter2D: correlation, anchor at the centre, BORDER_REFLECT_101, per channel (float output). The
 * image is padded once; each non-zero tap is added over whole padded rows (taps in row-major order for
 * every sample, as a per-pixel loop over the taps would add them).
 */
export function filter2d(p: Plane, k: Float32Array, size: number): Plane {
  const r = (size - 1) / 2;
  const { h, w, c: C } = p;
  const out = new Float64Array(p.data.length);
  if (addon && p.data instanceof Float64Array) {
    addon.filter2d(p.data, out, h, w, C, k, size);
    return { ...p, data: out };
  }
  const PW = w + 2 * r;
  const PH = h + 2 * r;
  if (padBuf.length < PH * PW * C) padBuf = new Float64Array(PH * PW * C);
  const pad = padBuf;
  const xs = new Int32Array(PW);
  for (let x = 0; x < PW; x++) xs[x] = reflect101(x - r, w) * C;
  for (let y = 0; y < PH; y++) {
    const src = reflect101(y - r, h) * w * C;
    const dst = y * PW * C;
    for (let x = 0; x < PW; x++) for (let ch = 0; ch < C; ch++) pad[dst + x * C + ch] = p.data[src + xs[x] + ch];
  }
  const L = w * C;
  for (let dy = 0; dy < size; dy++)
    for (let dx = 0; dx < size; dx++) {
      const v = k[dy * size + dx];
      if (v === 0) continue; // CIFAR disks have few non-zero weights in 17×17
      for (let y = 0; y < h; y++) {
        const o = y * L;
        const at = ((y + dy) * PW + dx) * C;
        for (let i = 0; i < L; i++) out[o + i] += pad[at + i] * v;
      }
    }
  return { ...p, data: out };
}

// ---------------------------------------------------------------- (e) plasma fractal

/** Diamond-square on a wrap-around grid, drawing uniforms in numpy's C order (fog). */
export function plasmaFractal(mapsize: number, wibbledecay: number, rng: NumpyRandomState): Float64Array {
  const n = mapsize;
  const m = new Float64Array(n * n);
  if (rng.plasmaNative(m, n, wibbledecay)) return m;
  const at = (i: number, j: number) => (((i % n) + n) % n) * n + (((j % n) + n) % n);
  let step = n;
  let wibble = 100;
  while (step >= 2) {
    const h = step / 2;
    const cells = n / step;
    // squares: centre = (c(i,j) + c(i+1,j) + (c(i,j+1) + c(i+1,j+1))) / 4 + noise, numpy's summation order
    const sq = new Float64Array(cells * cells);
    for (let i = 0; i < cells; i++)
      for (let j = 0; j < cells; j++) {
        const a = m[at(i * step, j * step)] + m[at((i + 1) * step, j * step)];
        const b = m[at(i * step, (j + 1) * step)] + m[at((i + 1) * step, (j + 1) * step)];
        sq[i * cells + j] = a + b;
      }
    for (let i = 0; i < cells; i++) for (let j = 0; j < cells; j++) m[at(i * step + h, j * step + h)] = sq[i * cells + j] / 4 + wibble * rng.uniform(-wibble, wibble);
    // diamonds
    const dr = (i: number, j: number) => m[at(i * step + h, j * step + h)];
    const ul = (i: number, j: number) => m[at(i * step, j * step)];
    const lt = new Float64Array(cells * cells);
    const tt = new Float64Array(cells * cells);
    for (let i = 0; i < cells; i++)
      for (let j = 0; j < cells; j++) {
        lt[i * cells + j] = dr(i, j) + dr(i - 1, j) + (ul(i, j) + ul(i, j + 1));
        tt[i * cells + j] = dr(i, j) + dr(i, j - 1) + (ul(i, j) + ul(i + 1, j));
      }
    for (let i = 0; i < cells; i++) for (let j = 0; j < cells; j++) m[at(i * step, j * step + h)] = lt[i * cells + j] / 4 + wibble * rng.uniform(-wibble, wibble);
    for (let i = 0; i < cells; i++) for (let j = 0; j < cells; j++) m[at(i * step + h, j * step)] = tt[i * cells + j] / 4 + wibble * rng.uniform(-wibble, wibble);
    step /= 2;
    wibble /= wibbledecay;
  }
  let min = Infinity;
  for (const v of m) min = Math.min(min, v);
  let max = -Infinity;
  for (let k = 0; k < m.length; k++) {
    m[k] -= min;
    max = Math.max(max, m[k]);
  }
  for (let k = 0; k < m.length; k++) m[k] /= max;
  return m;
}

// ---------------------------------------------------------------- (f) ImageMagick motion blur

/**
 * MagickMotionBlurImage(radius, sigma, angle) on a uint8 image: one-sided Gaussian line kernel of width
 * 2·ceil(radius)+1, edge-clamped taps, 16-bit arithmetic rounded, then truncated back to 8 bit.
 */
export function motionBlur(src: Uint8Array, h: number, w: number, c: number, radius: number, sigma: number, angleDeg: number): Uint8Array {
  const width = 2 * Math.ceil(radius) + 1;
  const kernel = new Float64Array(width);
  let norm = 0;
  for (let i = 0; i < width; i++) {
    kernel[i] = Math.exp(-(i * i) / (2 * sigma * sigma)) / (Math.sqrt(2 * Math.PI) * sigma);
    norm += kernel[i];
  }
  for (let i = 0; i < width; i++) kernel[i] /= norm;
  const theta = (Math.PI * angleDeg) / 180;
  const px = width * Math.sin(theta);
  const py = width * Math.cos(theta);
  const hyp = Math.hypot(px, py);
  const offX = new Int32Array(width);
  const offY = new Int32Array(width);
  for (let i = 0; i < width; i++) {
    offX[i] = Math.ceil((i * py) / hyp - 0.5);
    offY[i] = Math.ceil((i * px) / hyp - 0.5);
  }
  const out = new Uint8Array(src.length);
  if (addon && c <= 4) {
    addon.motionBlur(src, out, h, w, c, kernel, offX, offY);
    return out;
  }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let i = 0; i < width; i++) acc += kernel[i] * src[(nearest(y + offY[i], h) * w + nearest(x + offX[i], w)) * c + ch] * 257;
        const q16 = Math.min(65535, Math.max(0, Math.floor(acc + 0.5)));
        out[(y * w + x) * c + ch] = Math.floor(q16 / 257);
      }
  return out;
}

// ---------------------------------------------------------------- (g) Pillow BOX resize

interface BoxCoefficients {
  start: Int32Array;
  count: Int32Array;
  /** out × ksize fixed-point weights, row o holding count[o] of them */
  weights: Int32Array;
  ksize: number;
  /** every output is one input sample with weight 1 (BOX up-scaling): the pass is a gather */
  copy: boolean;
}

const boxCache = new BoundedMemo<number, BoxCoefficients>(64);
/** Pillow's BOX filter coefficients for inSize → outSize in 22-bit fixed point (memoised: pixelate reuses a few sizes). */
const boxCoefficients = (inSize: number, outSize: number) => boxCache.get(inSize * 1048576 + outSize, () => makeBoxCoefficients(inSize, outSize));
function makeBoxCoefficients(inSize: number, outSize: number): BoxCoefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 0.5 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize + 2);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const xmin = Math.max(Math.trunc(centre - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(centre + support + 0.5), inSize);
    let total = 0;
    for (let j = xmin; j < xmax; j++) {
      const t = (j - centre + 0.5) / filterscale;
      const v = t > -0.5 && t <= 0.5 ? 1 : 0;
      k[j - xmin] = v;
      total += v;
    }
    // BOX taps are 0 or 1/total: drop the zero ones at the ends (they add nothing to the fixed-point sum)
    let lo = 0;
    let hi = xmax - xmin;
    while (lo < hi && k[lo] === 0) lo++;
    while (hi > lo && k[hi - 1] === 0) hi--;
    start[o] = xmin + lo;
    count[o] = hi - lo;
    for (let j = lo; j < hi; j++) weights[o * ksize + j - lo] = Math.trunc((total ? k[j] / total : 0) * (1 << 22) + 0.5);
  }
  let copy = true;
  for (let o = 0; o < outSize; o++) if (count[o] !== 1 || weights[o * ksize] !== 1 << 22) copy = false;
  return { start, count, weights, ksize, copy };
}

/** Pillow's horizontal pass: each output pixel sums count taps of its row, all channels at once. */
function boxPassX(src: Uint8Array, out: Uint8Array, h: number, w: number, c: number, ow: number, co: BoxCoefficients): void {
  const { start, count, weights, ksize } = co;
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    const orow = y * ow * c;
    if (co.copy) {
      for (let o = 0; o < ow; o++) for (let ch = 0, at = row + start[o] * c; ch < c; ch++) out[orow + o * c + ch] = src[at + ch];
      continue;
    }
    if (c === 3) {
      // RGB: the three channels in scalars, one walk over the taps
      for (let o = 0; o < ow; o++) {
        let a0 = 1 << 21;
        let a1 = 1 << 21;
        let a2 = 1 << 21;
        const wb = o * ksize;
        let at = row + start[o] * 3;
        for (let k = 0, n = count[o]; k < n; k++, at += 3) {
          const wt = weights[wb + k];
          a0 += src[at] * wt;
          a1 += src[at + 1] * wt;
          a2 += src[at + 2] * wt;
        }
        const q = orow + o * 3;
        a0 >>= 22;
        a1 >>= 22;
        a2 >>= 22;
        out[q] = a0 > 255 ? 255 : a0 < 0 ? 0 : a0;
        out[q + 1] = a1 > 255 ? 255 : a1 < 0 ? 0 : a1;
        out[q + 2] = a2 > 255 ? 255 : a2 < 0 ? 0 : a2;
      }
      continue;
    }
    for (let ch = 0; ch < c; ch++) {
      for (let o = 0; o < ow; o++) {
        let acc = 1 << 21;
        const wb = o * ksize;
        let at = row + start[o] * c + ch;
        for (let k = 0, n = count[o]; k < n; k++, at += c) acc += src[at] * weights[wb + k];
        const v = acc >> 22;
        out[orow + o * c + ch] = v > 255 ? 255 : v < 0 ? 0 : v;
      }
    }
  }
}

let boxAcc = new Int32Array(0);
/** Pillow's vertical pass: each output row is a weighted sum of count whole input rows (contiguous). */
function boxPassY(src: Uint8Array, out: Uint8Array, oh: number, rowLen: number, co: BoxCoefficients): void {
  const { start, count, weights, ksize } = co;
  if (co.copy) {
    for (let o = 0; o < oh; o++) out.set(src.subarray(start[o] * rowLen, (start[o] + 1) * rowLen), o * rowLen);
    return;
  }
  if (boxAcc.length < rowLen) boxAcc = new Int32Array(rowLen);
  const acc = boxAcc;
  for (let o = 0; o < oh; o++) {
    for (let i = 0; i < rowLen; i++) acc[i] = 1 << 21;
    for (let k = 0, n = count[o]; k < n; k++) {
      const wt = weights[o * ksize + k];
      const row = (start[o] + k) * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] += src[row + i] * wt;
    }
    const orow = o * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const v = acc[i] >> 22;
      out[orow + i] = v > 255 ? 255 : v < 0 ? 0 : v;
    }
  }
}

const gatherMaps = new BoundedMemo<string, Int32Array>(16);
/** PIL.Image.resize(..., BOX): horizontal pass then vertical, each to uint8 in 22-bit fixed point. */
export function boxResize(src: Uint8Array, h: number, w: number, c: number, oh: number, ow: number): Uint8Array {
  if (addon) {
    const [cx, cy] = [boxCoefficients(w, ow), boxCoefficients(h, oh)];
    const out = new Uint8Array(oh * ow * c);
    addon.boxResize(src, out, h, w, c, oh, ow, cx.start, cx.count, cx.weights, cx.ksize, cy.start, cy.count, cy.weights, cy.ksize);
    return out;
  }
  if (ow !== w && oh !== h) {
    const cx = boxCoefficients(w, ow);
    const cy = boxCoefficients(h, oh);
    if (cx.copy && cy.copy) {
      // up-scaling: every output pixel is one input pixel, in one gather through a memoised index map
      const map = gatherMaps.get(`${h}:${w}:${c}:${oh}:${ow}`, () => {
        const m = new Int32Array(oh * ow * c);
        let q = 0;
        for (let y = 0; y < oh; y++) {
          const row = cy.start[y] * w * c;
          for (let x = 0; x < ow; x++) for (let ch = 0, at = row + cx.start[x] * c; ch < c; ch++) m[q++] = at + ch;
        }
        return m;
      });
      const out = new Uint8Array(map.length);
      for (let q = 0; q < map.length; q++) out[q] = src[map[q]];
      return out;
    }
  }
  let cur = src;
  let cw = w;
  if (ow !== w) {
    const out = new Uint8Array(h * ow * c);
    boxPassX(cur, out, h, w, c, ow, boxCoefficients(w, ow));
    cur = out;
    cw = ow;
  }
  if (oh !== h) {
    const out = new Uint8Array(oh * cw * c);
    boxPassY(cur, out, oh, cw * c, boxCoefficients(h, oh));
    cur = out;
  }
  return cur;
}

// ---------------------------------------------------------------- (h) OpenCV resize and warpAffine

/** cv2.resize(img, fx=f, fy=f, INTER_LINEAR) for uint8: 11-bit weights, source coordinate from 1/f. */
export function cvResizeLinear(src: Uint8Array, h: number, w: number, c: number, f: number): { data: Uint8Array; h: number; w: number } {
  const oh = roundHalfEven(h * f);
  const ow = roundHalfEven(w * f);
  const coef = (n: number, o: number) => {
    let s = (o + 0.5) / f - 0.5;
    let i0 = Math.floor(s);
    let frac = s - i0;
    if (i0 < 0) [i0, frac] = [0, 0];
    if (i0 >= n - 1) [i0, frac] = [n - 1, 0];
    s = frac;
    const w1 = Math.round(s * 2048);
    return { i0, i1: Math.min(i0 + 1, n - 1), w0: 2048 - w1, w1 };
  };
  const cx = Array.from({ length: ow }, (_, o) => coef(w, o));
  const cy = Array.from({ length: oh }, (_, o) => coef(h, o));
  const out = new Uint8Array(oh * ow * c);
  for (let y = 0; y < oh; y++) {
    const { i0: y0, i1: y1, w0: a0, w1: a1 } = cy[y];
    for (let x = 0; x < ow; x++) {
      const { i0: x0, i1: x1, w0: b0, w1: b1 } = cx[x];
      for (let ch = 0; ch < c; ch++) {
        const r0 = src[(y0 * w + x0) * c + ch] * b0 + src[(y0 * w + x1) * c + ch] * b1;
        const r1 = src[(y1 * w + x0) * c + ch] * b0 + src[(y1 * w + x1) * c + ch] * b1;
        out[(y * ow + x) * c + ch] = Math.min(255, Math.floor((r0 * a0 + r1 * a1 + (1 << 21)) / (1 << 22)));
      }
    }
  }
  return { data: out, h: oh, w: ow };
}

/** Solve the affine map taking three source points to three destination points (cv2.getAffineTransform). */
export function affineFromPoints(src: number[][], dst: number[][]): number[] {
  // rows: [x y 1 0 0 0] · m = x', [0 0 0 x y 1] · m = y'
  const A: number[][] = [];
  const b: number[] = [];
  for (let k = 0; k < 3; k++) {
    A.push([src[k][0], src[k][1], 1, 0, 0, 0]);
    b.push(dst[k][0]);
    A.push([0, 0, 0, src[k][0], src[k][1], 1]);
    b.push(dst[k][1]);
  }
  // Gaussian elimination with partial pivoting (6×6)
  for (let col = 0; col < 6; col++) {
    let piv = col;
    for (let r = col + 1; r < 6; r++) if (Math.abs(A[r][col]) > Math.abs(A[piv][col])) piv = r;
    [A[col], A[piv]] = [A[piv], A[col]];
    [b[col], b[piv]] = [b[piv], b[col]];
    for (let r = col + 1; r < 6; r++) {
      const f = A[r][col] / A[col][col];
      for (let k = col; k < 6; k++) A[r][k] -= f * A[col][k];
      b[r] -= f * b[col];
    }
  }
  const m = new Array<number>(6).fill(0);
  for (let r = 5; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < 6; k++) s -= A[r][k] * m[k];
    m[r] = s / A[r][r];
  }
  return m;
}

/** cv2.warpAffine (bilinear, BORDER_REFLECT_101) on a float32 plane, with OpenCV's fixed-point coordinates. */
export function warpAffine(p: Plane, M: number[]): Plane {
  const [m00, m01, m02, m10, m11, m12] = M;
  const D = 1 / (m00 * m11 - m01 * m10);
  const A00 = m11 * D;
  const A01 = -m01 * D;
  const A10 = -m10 * D;
  const A11 = m00 * D;
  const b0 = -(A00 * m02 + A01 * m12);
  const b1 = -(A10 * m02 + A11 * m12);
  const out = new Float32Array(p.h * p.w * p.c);
  if (addon && p.data instanceof Float32Array) {
    addon.warpAffine(p.data, out, p.h, p.w, p.c, Float64Array.from(M));
    return { data: out, h: p.h, w: p.w, c: p.c };
  }
  for (let y = 0; y < p.h; y++) {
    const X0 = roundHalfEven((A01 * y + b0) * 1024);
    const Y0 = roundHalfEven((A11 * y + b1) * 1024);
    for (let x = 0; x < p.w; x++) {
      const X = (X0 + roundHalfEven(A00 * x * 1024) + 16) >> 5;
      const Y = (Y0 + roundHalfEven(A10 * x * 1024) + 16) >> 5;
      const sx = X >> 5;
      const sy = Y >> 5;
      const fx = (X & 31) / 32;
      const fy = (Y & 31) / 32;
      const xa = reflect101(sx, p.w);
      const xb = reflect101(sx + 1, p.w);
      const ya = reflect101(sy, p.h);
      const yb = reflect101(sy + 1, p.h);
      for (let ch = 0; ch < p.c; ch++) {
        const v = (1 - fy) * ((1 - fx) * p.data[(ya * p.w + xa) * p.c + ch] + fx * p.data[(ya * p.w + xb) * p.c + ch]) +
          fy * ((1 - fx) * p.data[(yb * p.w + xa) * p.c + ch] + fx * p.data[(yb * p.w + xb) * p.c + ch]);
        out[(y * p.w + x) * p.c + ch] = v;
      }
    }
  }
  return { data: out, h: p.h, w: p.w, c: p.c };
}

/** scipy map_coordinates order 1, mode 'reflect', sampling every channel at (row + dy, col + dx). */
export function remapReflect(p: Plane, dy: FloatArray, dx: FloatArray): Plane {
  const out = new Float32Array(p.data.length);
  if (addon && p.data instanceof Float32Array && dy instanceof Float32Array && dx instanceof Float32Array) {
    addon.remapReflect(p.data, out, p.h, p.w, p.c, dy, dx);
    return { data: out, h: p.h, w: p.w, c: p.c };
  }
  for (let y = 0; y < p.h; y++)
    for (let x = 0; x < p.w; x++) {
      const fy = y + dy[y * p.w + x];
      const fx = x + dx[y * p.w + x];
      const y0 = Math.floor(fy);
      const x0 = Math.floor(fx);
      const ty = fy - y0;
      const tx = fx - x0;
      const ya = reflect(y0, p.h);
      const yb = reflect(y0 + 1, p.h);
      const xa = reflect(x0, p.w);
      const xb = reflect(x0 + 1, p.w);
      for (let ch = 0; ch < p.c; ch++) {
        out[(y * p.w + x) * p.c + ch] = (1 - ty) * ((1 - tx) * p.data[(ya * p.w + xa) * p.c + ch] + tx * p.data[(ya * p.w + xb) * p.c + ch]) +
          ty * ((1 - tx) * p.data[(yb * p.w + xa) * p.c + ch] + tx * p.data[(yb * p.w + xb) * p.c + ch]);
      }
    }
  return { data: out, h: p.h, w: p.w, c: p.c };
}

// ---------------------------------------------------------------- (i) HSV

/** scikit-image rgb2hsv for one pixel in [0,1] */
export function rgb2hsv(r: number, g: number, b: number): [number, number, number] {
  const v = Math.max(r, g, b);
  const delta = v - Math.min(r, g, b);
  const s = delta === 0 || v === 0 ? 0 : delta / v;
  let hh = 0;
  if (delta !== 0) {
    if (b === v) hh = 4 + (r - g) / delta;
    else if (g === v) hh = 2 + (b - r) / delta;
    else hh = (g - b) / delta;
    hh = (hh / 6) % 1;
    if (hh < 0) hh += 1;
  }
  return [hh, s, v];
}

export function hsv2rgb(h: number, s: number, v: number): [number, number, number] {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  switch (((i % 6) + 6) % 6) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}
