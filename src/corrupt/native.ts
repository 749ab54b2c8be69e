/**
 * The corruption addon build/Release/actbench_corrupt.node (native/corrupt.cc: the JPEG round trip through
 * the vendored libjpeg-turbo, MT19937's block twist; native/kernels.cc: the corruptions' hot loops), built
 * by the package's install script. When it is
 * missing or fails to load, corruptionAddon() returns null and callers use their TypeScript (or sharp)
 * paths, which give the same bytes; corruptionAddonStatus() says why.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../train/native/addon.js';

export interface CorruptionAddon {
  /** n HWC images back to back, src → dst (same length), Pillow's JPEG settings at `quality` */
  roundTrip(src: Uint8Array, dst: Uint8Array, n: number, width: number, height: number, channels: number, quality: number): void;
  version(): string;
  /** MT19937: the next block into mt, its tempered words into out */
  twist(mt: Int32Array, out: Int32Array): void;
  /**
   * The noise corruptions over a NumpyRandomState's state (mt, its tempered words, [mti, hasGauss, gauss],
   * updated in place): kind 0 gaussian clip(x + c·g), 1 speckle clip(x + x·(c·g)), 2 shot clip(poisson(x·c)/c); × 255
   */
  noise(mt: Int32Array, words: Int32Array, state: Float64Array, src: Uint8Array, out: Uint8Array | Float64Array, c: number, kind: 0 | 1 | 2): void;
  /** n standard normals (legacy polar method) into out */
  normalFill(mt: Int32Array, words: Int32Array, state: Float64Array, out: Float64Array, n: number): void;
  /** scipy gaussian_filter over rows then columns with the given weights (float32 data rounded after each pass) */
  gaussFilter<T extends Float64Array | Float32Array>(src: T, out: T, h: number, w: number, c: number, weights: Float64Array, reflect: boolean): void;
  /** clipped zoom by zs[0] into out, or out = T(out + T(zoom(src, z))) for each z when accumulating */
  clippedZoom<T extends Float64Array | Float32Array>(src: T, out: T, h: number, w: number, c: number, zs: Float64Array, accumulate: boolean): void;
  /** cv2.filter2D (REFLECT_101, float64) with a float32 kernel */
  filter2d(src: Float64Array, out: Float64Array, h: number, w: number, c: number, k: Float32Array, size: number): void;
  /** ImageMagick's motion blur with the kernel and tap offsets given */
  motionBlur(src: Uint8Array, out: Uint8Array, h: number, w: number, c: number, kernel: Float64Array, offX: Int32Array, offY: Int32Array): void;
  /** fog's plasma fractal (n×n, normalised to [0, 1]) drawing from the generator */
  plasma(mt: Int32Array, words: Int32Array, state: Float64Array, out: Float64Array, n: number, wibbledecay: number): void;
  /** glass_blur's pixel walk on img in place, drawing from the generator */
  glassShuffle(mt: Int32Array, words: Int32Array, state: Float64Array, img: Uint8Array, h: number, w: number, c: number, d: number, iterations: number): void;
  /** brightness (mode 0: V + a) or saturate (mode 1: S·a + b) through scikit-image's HSV, clipped, × 255 */
  hsvAdjust(src: Uint8Array, out: Uint8Array | Float64Array, c: number, mode: 0 | 1, a: number, b: number): void;
  /** n random_sample() values into out */
  randomFill(mt: Int32Array, words: Int32Array, state: Float64Array, out: Float64Array, n: number): void;
  /** cv2.warpAffine (bilinear, REFLECT_101, OpenCV's fixed-point coordinates) of a float32 image by M (2×3, row-major) */
  warpAffine(src: Float32Array, out: Float32Array, h: number, w: number, c: number, M: Float64Array): void;
  /** scipy map_coordinates order 1, mode 'reflect', at (row + dy, col + dx) */
  remapReflect(src: Float32Array, out: Float32Array, h: number, w: number, c: number, dy: Float32Array, dx: Float32Array): void;
  /** contrast: per channel clip((x − mean)·factor + mean)·255 */
  contrast(src: Uint8Array, out: Uint8Array | Float64Array, c: number, factor: number): void;
  /** Pillow's BOX resize h×w → oh×ow with ops.ts's fixed-point coefficients per axis (start, count, weights, ksize) */
  boxResize(
    src: Uint8Array, out: Uint8Array, h: number, w: number, c: number, oh: number, ow: number,
    xStart: Int32Array, xCount: Int32Array, xWeights: Int32Array, xK: number, yStart: Int32Array, yCount: Int32Array, yWeights: Int32Array, yK: number,
  ): void;
}

/** ACTBENCH_CORRUPT_ADDON overrides the location (tests of the fallbacks point it at a missing file) */
export const CORRUPT_ADDON_PATH = process.env.ACTBENCH_CORRUPT_ADDON || join(PACKAGE_ROOT, 'build', 'Release', 'actbench_corrupt.node');

let loaded: { addon: CorruptionAddon | null; reason: string } | undefined;

function load(): { addon: CorruptionAddon | null; reason: string } {
  if (!existsSync(CORRUPT_ADDON_PATH)) return { addon: null, reason: `${CORRUPT_ADDON_PATH} is missing (build it with 'npm run build:native')` };
  try {
    return { addon: createRequire(import.meta.url)(CORRUPT_ADDON_PATH) as CorruptionAddon, reason: '' };
  } catch (e) {
    return { addon: null, reason: `${CORRUPT_ADDON_PATH} failed to load: ${(e as Error).message.split('\n')[0]} (rebuild it with 'npm run build:native')` };
  }
}

export function corruptionAddon(): CorruptionAddon | null {
  loaded ??= load();
  return loaded.addon;
}

/** '' when the addon is loaded, else why not */
export function corruptionAddonStatus(): string {
  loaded ??= load();
  return loaded.reason;
}
