/**
 * JPEG compression through a real codec, libjpeg with Pillow's settings (standard IJG tables scaled by
 * quality with force_baseline, 4:2:0 chroma subsampling for RGB, ISLOW DCT; decoded with ISLOW and fancy
 * upsampling), so results equal the reference generator's PIL round trip bit for bit.
 *
 * The round trip runs in-process in the corruption addon (native.ts; libjpeg-turbo 2.1.5 vendored in
 * native/libjpeg-turbo, built by the package's install script). When it is missing or fails
 * to load, the same codec settings go through sharp (libvips with mozjpeg's libjpeg, baseline) in a
 * synckit worker — the same bytes, ~10× slower — and the first call says so on stderr once.
 * Decoding image files (frost textures) always uses sharp.
 */
import { createSyncFn } from 'synckit';
import { corruptionAddon, corruptionAddonStatus, type CorruptionAddon } from './native.js';

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

let warned = false;

/** Which codec path the JPEG corruption uses, and why not the in-process one. */
export function jpegCodec(): { path: 'in-process libjpeg-turbo' | 'sharp worker'; reason: string } {
  return corruptionAddon() ? { path: 'in-process libjpeg-turbo', reason: '' } : { path: 'sharp worker', reason: corruptionAddonStatus() };
}

function addon(): CorruptionAddon | null {
  const a = corruptionAddon();
  if (!a && !warned) {
    warned = true;
    console.error(`actbench: jpeg_compression goes through the sharp worker (same bytes, slower): ${corruptionAddonStatus()}`);
  }
  return a;
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
  if (!a) return call()('jpegMany', data, width, height, channels, quality);
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
