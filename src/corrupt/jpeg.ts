/**
 * JPEG compression through a real codec: libjpeg (mozjpeg's library in sharp/libvips, with the standard
 * IJG tables, baseline, 4:2:0 chroma subsampling, ISLOW DCT, fancy upsampling on decode — what Pillow
 * does). sharp is asynchronous; synckit runs it in a worker and waits, so corrupt() stays synchronous.
 */
import { createSyncFn } from 'synckit';

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

let worker: Worker | undefined;
function call(): Worker {
  // plain JS worker: it loads the same from src/ (tsx) and dist/ without a TypeScript runner
  worker ??= createSyncFn(new URL('./jpeg-worker.mjs', import.meta.url), { execArgv: [] }) as unknown as Worker;
  return worker;
}

export function jpegRoundTrip(data: Uint8Array, width: number, height: number, channels: number, quality: number): Uint8Array {
  return call()('jpeg', data, width, height, channels, quality);
}

/** Many same-sized images (back to back) in one call: the encoder runs them concurrently. */
export function jpegRoundTripMany(data: Uint8Array, width: number, height: number, channels: number, quality: number): Uint8Array {
  return call()('jpegMany', data, width, height, channels, quality);
}

/** Decode an image file's bytes with libjpeg/libpng (as OpenCV's imread does) to RGB. */
export function decodeWithLibjpeg(bytes: Uint8Array): Decoded {
  return call()('decode', bytes);
}
