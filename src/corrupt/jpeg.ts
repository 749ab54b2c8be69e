/**
 * JPEG compression through a real codec, libjpeg with Pillow's settings (standard IJG tables scaled by
 * quality with force_baseline, 4:2:0 chroma subsampling for RGB, ISLOW DCT; decoded with ISLOW and fancy
 * upsampling), so results equal the reference generator's PIL round trip bit for bit.
 *
 * The round trip runs in-process in the native addon build/Release/actbench_jpeg.node (libjpeg-turbo 2.1.5
 * vendored in native/libjpeg-turbo, built by the package's install script). When it is missing or fails
 * to load, the same codec settings go through sharp (libvips with mozjpeg's libjpeg, baseline) in a
 * synckit worker — the same bytes, ~10× slower — and the first call says so on stderr once.
 * Decoding image files (frost textures) always uses sharp.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createSyncFn } from 'synckit';
import { PACKAGE_ROOT } from '../train/native/addon.js';

interface Decoded {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}
type Worker = {
  (op: 'jpeg', data: Uint8Array, width: number, height: number, channels: number, quality: number): Uint8Array;
  (op: 'decode', data: Uint8Array): Decoded;
  (op: 'jpegMany', data: Uint8Array, width: number, height: number, channels: number, quality: number): Uint8Array;
};

interface JpegAddon {
  /** n HWC images back to back, src → dst (same length) */
  roundTrip(src: Uint8Array, dst: Uint8Array, n: number, width: number, height: number, channels: number, quality: number): void;
  version(): string;
}

/** ACTBENCH_JPEG_ADDON overrides the location (tests of the fallback point it at a missing file) */
export const JPEG_ADDON_PATH = process.env.ACTBENCH_JPEG_ADDON || join(PACKAGE_ROOT, 'build', 'Release', 'actbench_jpeg.node');

let native: { addon: JpegAddon | null; reason: string } | undefined;
let warned = false;

function loadNative(): { addon: JpegAddon | null; reason: string } {
  if (!existsSync(JPEG_ADDON_PATH)) return { addon: null, reason: `${JPEG_ADDON_PATH} is missing (build it with 'npm run build:native')` };
  try {
    return { addon: createRequire(import.meta.url)(JPEG_ADDON_PATH) as JpegAddon, reason: '' };
  } catch (e) {
    return { addon: null, reason: `${JPEG_ADDON_PATH} failed to load: ${(e as Error).message.split('\n')[0]} (rebuild it with 'npm run build:native')` };
  }
}

/** Which codec path the JPEG corruption uses, and why not the in-process one. */
export function jpegCodec(): { path: 'in-process libjpeg-turbo' | 'sharp worker'; reason: string } {
  native ??= loadNative();
  return native.addon ? { path: 'in-process libjpeg-turbo', reason: '' } : { path: 'sharp worker', reason: native.reason };
}

function addon(): JpegAddon | null {
  native ??= loadNative();
  if (!native.addon && !warned) {
    warned = true;
    console.error(`actbench: jpeg_compression goes through the sharp worker (same bytes, slower): ${native.reason}`);
  }
  return native.addon;
}

let worker: Worker | undefined;
function call(): Worker {
  // plain JS worker: it loads the same from src/ (tsx) and dist/ without a TypeScript runner
  worker ??= createSyncFn(new URL('./jpeg-worker.mjs', import.meta.url), { execArgv: [] }) as unknown as Worker;
  return worker;
}

export function jpegRoundTrip(data: Uint8Array, width: number, height: number, channels: number, quality: number): Uint8Array {
  return jpegRoundTripMany(data, width, height, channels, quality);
}

/** Many same-sized images (back to back) in one call. */
export function jpegRoundTripMany(data: Uint8Array, width: number, height: number, channels: number, quality: number): Uint8Array {
  const a = addon();
  if (!a) return call()(data.length === width * height * channels ? 'jpeg' : 'jpegMany', data, width, height, channels, quality);
  const out = new Uint8Array(data.length);
  a.roundTrip(data, out, data.length / (width * height * channels), width, height, channels, quality);
  return out;
}

/** The sharp worker's round trip, for tests that compare the two codec paths. */
export function jpegRoundTripSharp(data: Uint8Array, width: number, height: number, channels: number, quality: number): Uint8Array {
  return call()('jpegMany', data, width, height, channels, quality);
}

/** Decode an image file's bytes with libjpeg/libpng (as OpenCV's imread does) to RGB. */
export function decodeWithLibjpeg(bytes: Uint8Array): Decoded {
  return call()('decode', bytes);
}
