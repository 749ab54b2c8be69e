/**
 * The OpenCV operations spatter's water mode uses (corruptions.md §2.3 h), from OpenCV's documented
 * behaviour: Canny (3×3 Sobel, L1 magnitude, 4-direction non-maximum suppression, hysteresis with
 * 8-connectivity), the 5×5 chamfer L2 distance transform, equalizeHist, filter2D to uint8 and the 3×3 box blur.
 */
import { reflect101 } from './ops.js';

export function cannyEdges(src: Uint8Array, h: number, w: number, low: number, high: number): Uint8Array {
  const at = (y: number, x: number) => src[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))];
  const gx = new Int32Array(h * w);
  const gy = new Int32Array(h * w);
  const mag = new Int32Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const dx = at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) - at(y + 1, x - 1);
      const dy = at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1);
      gx[y * w + x] = dx;
      gy[y * w + x] = dy;
      mag[y * w + x] = Math.abs(dx) + Math.abs(dy);
    }
  const m = (y: number, x: number) => (y < 0 || y >= h || x < 0 || x >= w ? 0 : mag[y * w + x]);
  const state = new Uint8Array(h * w); // 0 none, 1 weak, 2 strong
  const TG22 = 0.4142135623730950488;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = mag[y * w + x];
      if (v <= low) continue;
      const ax = Math.abs(gx[y * w + x]);
      const ay = Math.abs(gy[y * w + x]);
      let keep: boolean;
      if (ay < ax * TG22) keep = v > m(y, x - 1) && v >= m(y, x + 1);
      else if (ay > ax * (TG22 + 2)) keep = v > m(y - 1, x) && v >= m(y + 1, x);
      else {
        const s = (gx[y * w + x] ^ gy[y * w + x]) < 0 ? -1 : 1;
        keep = v > m(y - 1, x - s) && v > m(y + 1, x + s);
      }
      if (keep) state[y * w + x] = v > high ? 2 : 1;
    }
  const out = new Uint8Array(h * w);
  const stack: number[] = [];
  for (let k = 0; k < state.length; k++) if (state[k] === 2) stack.push(k);
  while (stack.length) {
    const k = stack.pop() as number;
    if (out[k]) continue;
    out[k] = 255;
    const y = Math.floor(k / w);
    const x = k % w;
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy;
        const xx = x + dx;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w && state[yy * w + xx] && !out[yy * w + xx]) stack.push(yy * w + xx);
      }
  }
  return out;
}

/** cv2.distanceTransform(src, DIST_L2, 5): chamfer distance of non-zero pixels to the nearest zero (float32). */
export function distanceTransformL2(src: Uint8Array, h: number, w: number): Float32Array {
  const INF = 1e20;
  const d = new Float64Array(h * w).map((_, k) => (src[k] === 0 ? 0 : INF));
  const a = 1;
  const b = 1.4;
  const c = 2.1969;
  const fwd: [number, number, number][] = [[-2, -1, c], [-2, 1, c], [-1, -2, c], [-1, -1, b], [-1, 0, a], [-1, 1, b], [-1, 2, c], [0, -1, a]];
  const bwd: [number, number, number][] = fwd.map(([dy, dx, v]) => [-dy, -dx, v]);
  const sweep = (mask: [number, number, number][], ys: number[], xs: number[]) => {
    for (const y of ys)
      for (const x of xs) {
        let best = d[y * w + x];
        for (const [dy, dx, v] of mask) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < h && xx >= 0 && xx < w) best = Math.min(best, d[yy * w + xx] + v);
        }
        d[y * w + x] = best;
      }
  };
  const ys = Array.from({ length: h }, (_, k) => k);
  const xs = Array.from({ length: w }, (_, k) => k);
  sweep(fwd, ys, xs);
  sweep(bwd, [...ys].reverse(), [...xs].reverse());
  return Float32Array.from(d);
}

/** cv2.blur((3, 3)): normalised 3×3 box, BORDER_REFLECT_101; uint8 input gives rounded uint8 values. */
export function boxBlur3(src: ArrayLike<number>, h: number, w: number, roundToU8 = false): Float32Array {
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += src[reflect101(y + dy, h) * w + reflect101(x + dx, w)];
      out[y * w + x] = roundToU8 ? Math.min(255, Math.round(s / 9)) : s / 9;
    }
  return out;
}

export function equalizeHist(src: Uint8Array): Uint8Array {
  const hist = new Int32Array(256);
  for (const v of src) hist[v]++;
  let i0 = 0;
  while (i0 < 256 && hist[i0] === 0) i0++;
  if (i0 === 256 || hist[i0] === src.length) return new Uint8Array(src.length).fill(i0 === 256 ? 0 : i0);
  const scale = 255 / (src.length - hist[i0]);
  const lut = new Uint8Array(256);
  let sum = 0;
  for (let i = i0 + 1; i < 256; i++) {
    sum += hist[i];
    lut[i] = Math.min(255, Math.round(sum * scale));
  }
  return src.map((v) => lut[v]);
}

/** cv2.filter2D(src, CV_8U, 3×3 kernel): correlation, BORDER_REFLECT_101, rounded and saturated. */
export function filter2dU8(src: Uint8Array, h: number, w: number, k: number[]): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += k[(dy + 1) * 3 + dx + 1] * src[reflect101(y + dy, h) * w + reflect101(x + dx, w)];
      out[y * w + x] = Math.min(255, Math.max(0, Math.round(s)));
    }
  return out;
}
