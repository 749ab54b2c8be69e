/**
 * JPEG compression through a real codec: libjpeg (mozjpeg's library in sharp/libvips, with the standard
 * IJG tables, baseline, 4:2:0 chroma subsampling, ISLOW DCT, fancy upsampling on decode — what Pillow
 * does). sharp is asynchronous; synckit runs it in a worker and waits, so corrupt() stays synchronous.
 */
import { createSyncFn } from 'synckit';

type RoundTrip = (data: Uint8Array, width: number, height: number, channels: number, quality: number) => Uint8Array;

let roundTrip: RoundTrip | undefined;

export function jpegRoundTrip(data: Uint8Array, width: number, height: number, channels: number, quality: number): Uint8Array {
  if (!roundTrip) {
    // plain JS worker: it loads the same from src/ (tsx) and dist/ without a TypeScript runner
    roundTrip = createSyncFn(new URL('./jpeg-worker.mjs', import.meta.url), { execArgv: [] }) as unknown as RoundTrip;
  }
  return roundTrip(data, width, height, channels, quality);
}
