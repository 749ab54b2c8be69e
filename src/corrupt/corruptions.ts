/**
 * The 19 corruptions of CIFAR-10-C / ImageNet-C, each following the reference generator's algorithm,
 * draw order, dtypes and casts (corruptions.md §4). Constants come from presets.ts only. Every function
 * returns the float result in [0, 255] before the final truncating cast (or uint8 where the reference
 * itself returns uint8), so tests can compare against the reference's float outputs.
 *
 * Grey images (one channel) are processed as one channel; colour constants (snow's grey, spatter's
 * colours, frost's texture) use their ITU-R 601 luminance, and saturate works on the replicated RGB image
 * and returns its luminance.
 */
import { frostTexture } from './frost.js';
import { BoundedMemo } from '../util/memo.js';
import { corruptionAddon } from './native.js';
import { jpegRoundTrip } from './jpeg.js';
import {
  affineFromPoints, boxResize, clippedZoom, cvResizeLinear, diskKernel, filter2d, gaussianFilter, hsv2rgb, motionBlur, plasmaFractal,
  remapReflect, rgb2hsv, warpAffine, type Plane,
} from './ops.js';
import { ELASTIC_SCALE, FOG_MAPSIZE, FROST_RESIZE, SEVERITY, type CorruptionName, type Preset } from './presets.js';
import type { NumpyRandomState } from './rng.js';
import { cannyEdges, distanceTransformL2, equalizeHist, filter2dU8, boxBlur3 } from './spatter-ops.js';

export interface ImageU8 {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

export interface CorruptContext {
  preset: Preset;
  severity: 1 | 2 | 3 | 4 | 5;
  rng: NumpyRandomState;
  /** directory with frost1.png … frost5.jpg for exact parity; else the procedural texture */
  frostDir?: string;
  /**
   * the caller wants the truncated uint8 image only (corrupt()): results are written straight into a
   * Uint8Array, whose store truncates values in [0, 255] exactly as the final cast does
   */
  bytes?: boolean;
}

/** float result in [0, 255] (or uint8 where the reference returns uint8) */
export type CorruptResult = Float64Array | Float32Array | Uint8Array;
type Fn = (img: ImageU8, ctx: CorruptContext) => CorruptResult;

const addon = corruptionAddon();
const LUMA = [0.299, 0.587, 0.114];
const lumaOf = (rgb: readonly number[]) => rgb.reduce((a, v, k) => a + v * LUMA[k], 0);
const sev = <T>(row: readonly T[], ctx: CorruptContext): T => row[ctx.severity - 1];

/** Per-thread scratch buffers (slot, length ≥ n) for draws consumed within one call: no allocation per image. */
const scratchBufs: Float64Array[] = [];
function scratch(slot: number, n: number): Float64Array {
  if (!scratchBufs[slot] || scratchBufs[slot].length < n) scratchBufs[slot] = new Float64Array(n);
  return scratchBufs[slot];
}

/** v / 255 for the 256 byte values (a table read is the same double as the division, and cheaper) */
const UNIT = Float64Array.from({ length: 256 }, (_, v) => v / 255);
/** the same rounded to float32 (np.array(x, dtype=float32) / 255) */
const UNIT32 = Float32Array.from(UNIT);
/** spatter's mud colour */
const MUD = [63 / 255, 42 / 255, 20 / 255];
/** (v / 255) · 255, which is not always v in floating point (and the reference truncates it) */
const UNIT_255 = Float64Array.from(UNIT, (u) => u * 255);

/** img / 255 in float64; into scratch slot `slot` when the caller only reads it within the call */
function unit(img: ImageU8, slot?: number): Float64Array {
  const x = slot === undefined ? new Float64Array(img.data.length) : scratch(slot, img.data.length).subarray(0, img.data.length);
  const d = img.data;
  for (let k = 0; k < x.length; k++) x[k] = UNIT[d[k]];
  return x;
}
function unit32(img: ImageU8): Float32Array {
  const x = new Float32Array(img.data.length);
  const d = img.data;
  for (let k = 0; k < x.length; k++) x[k] = UNIT[d[k]];
  return x;
}
const clip01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
/** the output array: float64 before the cast, or the uint8 image itself when ctx.bytes */
const result = (ctx: CorruptContext, n: number): Float64Array | Uint8Array => (ctx.bytes ? new Uint8Array(n) : new Float64Array(n));
/** np.clip(x, 0, 1) * 255 in float64 */
function finish(x: ArrayLike<number>, ctx: CorruptContext): Float64Array | Uint8Array {
  const out = result(ctx, x.length);
  for (let k = 0; k < x.length; k++) out[k] = clip01(x[k]) * 255;
  return out;
}
/** the same in float32 arithmetic (x is a float32 array in the reference) */
function finish32(x: ArrayLike<number>, ctx: CorruptContext): Float32Array | Uint8Array {
  const out = ctx.bytes ? new Uint8Array(x.length) : new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) out[k] = Math.fround(clip01(x[k]) * 255);
  return out;
}
/** loc + scale·N(0, 1) per element, in numpy's order (snow's and spatter's fields) */
function normalField(ctx: CorruptContext, n: number, loc: number, scale: number): Float64Array {
  const g = ctx.rng.standardNormalFill(new Float64Array(n), n);
  for (let k = 0; k < n; k++) g[k] = loc + scale * g[k];
  return g;
}

/** defocus kernels by (radius, alias blur): the same few for every image */
const disks = new BoundedMemo<string, { k: Float32Array; size: number }>(32);
const diskFor = (radius: number, alias: number) => disks.get(`${radius}:${alias}`, () => diskKernel(radius, alias));

const plane = (img: ImageU8, data: Plane['data']): Plane => ({ data, h: img.height, w: img.width, c: img.channels });

/** brightness (mode 0) / saturate (mode 1) in the addon, else per pixel through f */
function hsvMap(img: ImageU8, ctx: CorruptContext, mode: 0 | 1, a: number, b: number, f: (h: number, s: number, v: number) => [number, number, number]): Float64Array | Uint8Array {
  const out = result(ctx, img.data.length);
  if (addon) {
    addon.hsvAdjust(img.data, out, img.channels, mode, a, b);
    return out;
  }
  const x = unit(img);
  const C = img.channels;
  for (let p = 0; p < img.height * img.width; p++) {
    const [r, g, b] = C === 3 ? [x[p * 3], x[p * 3 + 1], x[p * 3 + 2]] : [x[p], x[p], x[p]];
    const [h, s, v] = f(...rgb2hsv(r, g, b));
    const rgb = hsv2rgb(h, s, v);
    if (C === 3) for (let c = 0; c < 3; c++) out[p * 3 + c] = clip01(rgb[c]) * 255;
    else out[p] = clip01(lumaOf(rgb)) * 255;
  }
  return out;
}

/** The frost texture after the preset's resize, computed once per (texture, preset, source). */
const frostCache = new Map<string, { data: Uint8Array; h: number; w: number }>();
/** Textures enlarged for images bigger than them, by (texture, preset, source, size); bounded for folders of many sizes. */
const enlargedCache = new Map<string, { data: Uint8Array; h: number; w: number }>();
function resizedFrost(idx: number, ctx: CorruptContext): { data: Uint8Array; h: number; w: number } {
  const key = `${idx}:${ctx.preset}:${ctx.frostDir ?? ''}`;
  let t = frostCache.get(key);
  if (!t) {
    const tex = frostTexture(idx, ctx.frostDir);
    t = FROST_RESIZE[ctx.preset] === 1 ? tex : cvResizeLinear(tex.data, tex.h, tex.w, 3, FROST_RESIZE[ctx.preset]);
    frostCache.set(key, t);
  }
  return t;
}

/**
 * The texture to crop an H×W window from. The reference crops at offsets randint(0, F − S) (upper bound
 * exclusive), so it needs a texture strictly larger than the image on both sides: true for the sizes it was
 * made for (ImageNet-C resizes every image to 224×224 first), and then the texture is used unchanged (bit
 * parity). A larger image (375×500 ImageNet photographs, any image on the CIFAR/Tiny presets' shrunken
 * textures) gets the texture enlarged, bilinearly, by the factor that makes it cover the image plus 10 %,
 * as imagecorruptions does — instead of numpy's "low >= high" error.
 */
function frostFor(idx: number, ctx: CorruptContext, H: number, W: number): { data: Uint8Array; h: number; w: number } {
  const t = resizedFrost(idx, ctx);
  if (t.h > H && t.w > W) return t;
  const key = `${idx}:${ctx.preset}:${ctx.frostDir ?? ''}:${H}x${W}`;
  let e = enlargedCache.get(key);
  if (!e) {
    const f = 1.1 * Math.max((H + 1) / t.h, (W + 1) / t.w);
    e = cvResizeLinear(t.data, t.h, t.w, 3, f);
    if (enlargedCache.size >= 32) enlargedCache.delete(enlargedCache.keys().next().value as string);
    enlargedCache.set(key, e);
  }
  return e;
}

const FNS: Record<CorruptionName, Fn> = {
  gaussian_noise(img, ctx) {
    const c = sev(SEVERITY.gaussian_noise[ctx.preset], ctx);
    const d = img.data;
    const out = result(ctx, d.length);
    if (ctx.rng.noiseNative(d, out, c, 0)) return out;
    const g = ctx.rng.standardNormalFill(scratch(0, d.length), d.length);
    for (let k = 0; k < d.length; k++) {
      const v = UNIT[d[k]] + c * g[k];
      out[k] = (v < 0 ? 0 : v > 1 ? 1 : v) * 255;
    }
    return out;
  },
  shot_noise(img, ctx) {
    const c = sev(SEVERITY.shot_noise[ctx.preset], ctx);
    const d = img.data;
    const rng = ctx.rng;
    const out = result(ctx, d.length);
    if (rng.noiseNative(d, out, c, 2)) return out;
    for (let k = 0; k < d.length; k++) {
      const v = rng.poissonOfByte(d[k], c) / c;
      out[k] = (v > 1 ? 1 : v) * 255;
    }
    return out;
  },
  impulse_noise(img, ctx) {
    // scikit-image ≤ 0.16 random_noise('s&p') as when the datasets were made: np.random.choice masks
    const amount = sev(SEVERITY.impulse_noise[ctx.preset], ctx);
    const d = img.data;
    const n = d.length;
    const cdf = (p: number) => p / (p + (1 - p));
    const [tFlip, tSalt] = [cdf(amount), cdf(0.5)];
    const flip = ctx.rng.randomFill(scratch(0, n), n);
    const salt = ctx.rng.randomFill(scratch(1, n), n);
    const out = result(ctx, n);
    for (let k = 0; k < n; k++) out[k] = flip[k] < tFlip ? (salt[k] < tSalt ? 255 : 0) : UNIT_255[d[k]];
    return out;
  },
  speckle_noise(img, ctx) {
    const c = sev(SEVERITY.speckle_noise[ctx.preset], ctx);
    const d = img.data;
    const out = result(ctx, d.length);
    if (ctx.rng.noiseNative(d, out, c, 1)) return out;
    const g = ctx.rng.standardNormalFill(scratch(0, d.length), d.length);
    for (let k = 0; k < d.length; k++) {
      const x = UNIT[d[k]];
      const v = x + x * (c * g[k]);
      out[k] = (v < 0 ? 0 : v > 1 ? 1 : v) * 255;
    }
    return out;
  },
  gaussian_blur(img, ctx) {
    const c = sev(SEVERITY.gaussian_blur[ctx.preset], ctx);
    return finish(gaussianFilter(plane(img, unit(img, 2)), c).data, ctx);
  },
  glass_blur(img, ctx) {
    const [sigma, d, iterations] = sev(SEVERITY.glass_blur[ctx.preset], ctx);
    const { height: H, width: W, channels: C } = img;
    const blurred = gaussianFilter(plane(img, unit(img)), sigma).data;
    const y = new Uint8Array(blurred.length);
    for (let k = 0; k < y.length; k++) y[k] = Math.trunc(blurred[k] * 255);
    if (!ctx.rng.glassShuffleNative(y, H, W, C, d, iterations)) {
      for (let it = 0; it < iterations; it++) {
        for (let h = H - d; h > d; h--) {
          for (let w = W - d; w > d; w--) {
            const dx = ctx.rng.randint(-d, d);
            const dy = ctx.rng.randint(-d, d);
            // the reference's tuple "swap" is a one-way copy (numpy views alias)
            const src = ((h + dy) * W + (w + dx)) * C;
            const dst = (h * W + w) * C;
            for (let c = 0; c < C; c++) y[dst + c] = y[src + c];
          }
        }
      }
    }
    const again = new Float64Array(y.length);
    for (let k = 0; k < y.length; k++) again[k] = UNIT[y[k]];
    return finish(gaussianFilter(plane(img, again), sigma).data, ctx);
  },
  defocus_blur(img, ctx) {
    const [radius, alias] = sev(SEVERITY.defocus_blur[ctx.preset], ctx);
    const { k, size } = diskFor(radius, alias);
    return finish(filter2d(plane(img, unit(img, 2)), k, size).data, ctx);
  },
  motion_blur(img, ctx) {
    const [radius, sigma] = sev(SEVERITY.motion_blur[ctx.preset], ctx);
    const angle = ctx.rng.uniform(-45, 45);
    return motionBlur(img.data, img.height, img.width, img.channels, radius, sigma, angle);
  },
  zoom_blur(img, ctx) {
    const [stop, step] = sev(SEVERITY.zoom_blur[ctx.preset], ctx);
    const x = unit32(img);
    const p = plane(img, x);
    const out = new Float32Array(x.length);
    // numpy arange: length ceil((stop − start)/step), values start + i·δ with δ = (start + step) − start
    const n = Math.ceil((stop - 1) / step);
    const delta = 1 + step - 1;
    const zs = Float64Array.from({ length: n }, (_, i) => 1 + i * delta);
    if (addon) addon.clippedZoom(x, out, img.height, img.width, img.channels, zs, true);
    else
      for (const zf of zs) {
        const z = clippedZoom(p, zf).data;
        for (let k = 0; k < out.length; k++) out[k] = Math.fround(out[k] + z[k]);
      }
    const mixed = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) mixed[k] = Math.fround(Math.fround(x[k] + out[k]) / (n + 1));
    return finish32(mixed, ctx);
  },
  snow(img, ctx) {
    const [loc, scale, zoom, threshold, blurRadius, blurSigma, blend] = sev(SEVERITY.snow[ctx.preset], ctx);
    const { height: H, width: W, channels: C } = img;
    const x = unit32(img);
    const layer = normalField(ctx, H * W, loc, scale);
    const zoomed = clippedZoom({ data: layer, h: H, w: W, c: 1 }, zoom).data;
    const l8 = new Uint8Array(H * W);
    for (let k = 0; k < l8.length; k++) l8[k] = Math.trunc(clip01(zoomed[k] < threshold ? 0 : zoomed[k]) * 255);
    const blurred = motionBlur(l8, H, W, 1, blurRadius, blurSigma, ctx.rng.uniform(-135, -45));
    const out = result(ctx, x.length);
    for (let y = 0; y < H; y++)
      for (let xx = 0; xx < W; xx++) {
        const p = y * W + xx;
        const grey = C === 3 ? Math.fround(Math.fround(0.299 * x[p * 3] + 0.587 * x[p * 3 + 1]) + 0.114 * x[p * 3 + 2]) : x[p];
        const bright = Math.fround(Math.fround(grey * 1.5) + 0.5);
        const s = UNIT[blurred[p]] + UNIT[blurred[(H - 1 - y) * W + (W - 1 - xx)]];
        for (let c = 0; c < C; c++) {
          const v = x[p * C + c];
          const mixed = Math.fround(Math.fround(blend * v) + Math.fround((1 - blend) * Math.max(v, bright)));
          out[p * C + c] = clip01(mixed + s) * 255;
        }
      }
    return out;
  },
  frost(img, ctx) {
    const [a, b] = sev(SEVERITY.frost[ctx.preset], ctx);
    const { height: H, width: W, channels: C } = img;
    const idx = ctx.rng.randint(0, 5);
    const scaled = frostFor(idx, ctx, H, W);
    const r0 = ctx.rng.randint(0, scaled.h - H);
    const c0 = ctx.rng.randint(0, scaled.w - W);
    const out = result(ctx, img.data.length);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const t = ((r0 + y) * scaled.w + (c0 + x)) * 3;
        const f = [scaled.data[t], scaled.data[t + 1], scaled.data[t + 2]];
        for (let c = 0; c < C; c++) {
          const v = a * img.data[(y * W + x) * C + c] + b * (C === 3 ? f[c] : lumaOf(f));
          out[(y * W + x) * C + c] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
    return out;
  },
  fog(img, ctx) {
    const [t, decay] = sev(SEVERITY.fog[ctx.preset], ctx);
    const { height: H, width: W, channels: C } = img;
    const x = unit(img);
    let max = 0;
    for (const v of x) max = Math.max(max, v);
    const size = Math.max(FOG_MAPSIZE[ctx.preset], 2 ** Math.ceil(Math.log2(Math.max(H, W))));
    const f = plasmaFractal(size, decay, ctx.rng);
    const out = result(ctx, x.length);
    for (let y = 0; y < H; y++)
      for (let xx = 0; xx < W; xx++)
        for (let c = 0; c < C; c++) {
          const k = (y * W + xx) * C + c;
          out[k] = clip01(((x[k] + t * f[y * size + xx]) * max) / (max + t)) * 255;
        }
    return out;
  },
  brightness(img, ctx) {
    const c = sev(SEVERITY.brightness[ctx.preset], ctx);
    return hsvMap(img, ctx, 0, c, 0, (h, s, v) => [h, s, clip01(v + c)]);
  },
  contrast(img, ctx) {
    const c = sev(SEVERITY.contrast[ctx.preset], ctx);
    const d = img.data;
    const C = img.channels;
    const n = img.height * img.width;
    const out = result(ctx, d.length);
    if (addon) {
      addon.contrast(d, out, C, c);
      return out;
    }
    // per channel: the mean in pixel order, then clip((x − mean)·c + mean)·255 (no modulo, no float copy)
    for (let ch = 0; ch < C; ch++) {
      let m = 0;
      for (let k = ch; k < d.length; k += C) m += UNIT[d[k]];
      m /= n;
      for (let k = ch; k < d.length; k += C) {
        const v = (UNIT[d[k]] - m) * c + m;
        out[k] = (v < 0 ? 0 : v > 1 ? 1 : v) * 255;
      }
    }
    return out;
  },
  saturate(img, ctx) {
    const [mult, add] = sev(SEVERITY.saturate[ctx.preset], ctx);
    return hsvMap(img, ctx, 1, mult, add, (h, s, v) => [h, clip01(s * mult + add), v]);
  },
  elastic_transform(img, ctx) {
    const [fa, fs, fj] = sev(SEVERITY.elastic_transform[ctx.preset], ctx);
    const scale = ELASTIC_SCALE[ctx.preset];
    const [alpha, sigma, jitter] = [scale * fa, scale * fs, scale * fj];
    const { height: H, width: W } = img;
    const x = unit32(img);
    const cy = Math.floor(Math.fround(H) / 2);
    const cx = Math.floor(Math.fround(W) / 2);
    const q = Math.floor(Math.min(H, W) / 3);
    // (x, y) points built from the (H, W) centre as the reference does
    const src = [[cy + q, cx + q], [cy + q, cx - q], [cy - q, cx - q]];
    const dst = src.map((pt) => pt.map((v) => Math.fround(v + Math.fround(ctx.rng.uniform(-jitter, jitter)))));
    const M = affineFromPoints(src, dst);
    const warped = warpAffine(plane(img, x), M);
    const field = () => {
      const u = ctx.rng.uniformArray(H * W, -1, 1);
      const g = gaussianFilter({ data: u, h: H, w: W, c: 1 }, sigma, 'reflect', 3).data;
      const f = new Float32Array(g.length);
      for (let k = 0; k < g.length; k++) f[k] = g[k] * alpha;
      return f;
    };
    const dx = field();
    const dy = field();
    return finish32(remapReflect(warped, dy, dx).data, ctx);
  },
  pixelate(img, ctx) {
    const c = sev(SEVERITY.pixelate[ctx.preset], ctx);
    const { height: H, width: W, channels: C } = img;
    const sw = Math.trunc(W * c);
    const sh = Math.trunc(H * c);
    return boxResize(boxResize(img.data, H, W, C, sh, sw), sh, sw, C, H, W);
  },
  jpeg_compression(img, ctx) {
    const q = sev(SEVERITY.jpeg_compression[ctx.preset], ctx);
    return jpegRoundTrip(img.data, img.width, img.height, img.channels, q);
  },
  spatter(img, ctx) {
    const [loc, scale, sigma, threshold, intensity, mode] = sev(SEVERITY.spatter[ctx.preset], ctx);
    const { height: H, width: W, channels: C } = img;
    const x = unit32(img);
    const raw = normalField(ctx, H * W, loc, scale);
    const liquid = gaussianFilter({ data: raw, h: H, w: W, c: 1 }, sigma).data;
    for (let k = 0; k < liquid.length; k++) if (liquid[k] < threshold) liquid[k] = 0;
    const out = result(ctx, x.length);
    if (mode === 0) {
      // water: pale turquoise droplets with an embossed rim
      const l8 = Uint8Array.from(liquid, (v) => Math.trunc(v * 255) & 0xff);
      const edges = cannyEdges(l8, H, W, 50, 150);
      const notEdge = Uint8Array.from(edges, (e) => 255 - e);
      const dist = distanceTransformL2(notEdge, H, W).map((v) => Math.min(v, 20));
      const d8 = Uint8Array.from(boxBlur3(dist, H, W), (v) => Math.trunc(v));
      const eq = equalizeHist(d8);
      const emb = filter2dU8(eq, H, W, [-2, -1, 0, -1, 1, 1, 0, 1, 2]);
      const smooth = boxBlur3(emb, H, W, true);
      const m = new Float32Array(H * W);
      let mmax = 0;
      for (let k = 0; k < m.length; k++) {
        m[k] = l8[k] * smooth[k];
        mmax = Math.max(mmax, m[k]);
      }
      const colour = [175 / 255, 238 / 255, 238 / 255];
      const col = C === 3 ? colour : [lumaOf(colour)];
      for (let p = 0; p < H * W; p++) {
        const mv = mmax > 0 ? Math.fround(Math.fround(m[p] / mmax) * intensity) : 0;
        for (let c = 0; c < C; c++) out[p * C + c] = clip01(x[p * C + c] + mv * col[c]) * 255;
      }
    } else {
      // mud: opaque brown blotches
      const mask = new Float32Array(H * W);
      for (let k = 0; k < mask.length; k++) mask[k] = liquid[k] > threshold ? 1 : 0;
      const g = gaussianFilter({ data: mask, h: H, w: W, c: 1 }, intensity).data;
      const d = img.data;
      if (C === 3) {
        for (let p = 0, k = 0; p < H * W; p++, k += 3) {
          const l = g[p] < 0.8 ? 0 : g[p];
          const keep = Math.fround(1 - l);
          const v0 = Math.fround(UNIT32[d[k]] * keep) + Math.fround(MUD[0] * l);
          const v1 = Math.fround(UNIT32[d[k + 1]] * keep) + Math.fround(MUD[1] * l);
          const v2 = Math.fround(UNIT32[d[k + 2]] * keep) + Math.fround(MUD[2] * l);
          out[k] = (v0 < 0 ? 0 : v0 > 1 ? 1 : v0) * 255;
          out[k + 1] = (v1 < 0 ? 0 : v1 > 1 ? 1 : v1) * 255;
          out[k + 2] = (v2 < 0 ? 0 : v2 > 1 ? 1 : v2) * 255;
        }
      } else {
        const grey = lumaOf(MUD);
        for (let p = 0; p < H * W; p++) {
          const l = g[p] < 0.8 ? 0 : g[p];
          out[p] = clip01(Math.fround(x[p] * Math.fround(1 - l)) + Math.fround(grey * l)) * 255;
        }
      }
    }
    return out;
  },
};

export function corruptionFn(name: CorruptionName): Fn {
  return FNS[name];
}
