/**
 * actbench's corruption library, after imagecorruptions' single entry point:
 *   corrupt(image, name, severity, { preset, rng, frostDir }) → image
 * `image` is HWC uint8, RGB or grey. The preset (CIFAR 32×32, Tiny-ImageNet 64×64, ImageNet 224×224
 * severity tables) follows the image size unless given. Results are truncated to uint8 as the reference
 * generator's C cast does.
 */
import { ActbenchError, closeMatches } from '../errors.js';
import { corruptionFn, type CorruptResult, type ImageU8 } from './corruptions.js';
import { CATEGORIES, CORRUPTIONS, PRESET_SIZE, PRESETS, presetForSize, SEVERITY, type CorruptionName, type Preset } from './presets.js';
import { jpegRoundTripMany } from './jpeg.js';
import { deriveSeed, NumpyRandomState } from './rng.js';

export { CATEGORIES, CORRUPTIONS, NumpyRandomState, PRESETS, deriveSeed, presetForSize, type CorruptionName, type ImageU8, type Preset };

export interface CorruptOptions {
  preset?: Preset;
  /** numpy-compatible RNG; default: a fresh NumpyRandomState(seed ?? 0) */
  rng?: NumpyRandomState;
  seed?: number;
  /** directory with the original frost1.png … frost5.jpg (exact parity); default: procedural frost */
  frostDir?: string;
}

/** Smallest side each preset's constants are meant for (7/8 of its size: 28×28 data uses CIFAR's). */
export const MIN_SIDE: Record<Preset, number> = { cifar: 28, tinyimagenet: 56, imagenet: 196 };

export function getCorruptionNames(subset: 'all' | 'common' | keyof typeof CATEGORIES = 'common'): CorruptionName[] {
  if (subset === 'all') return [...CORRUPTIONS];
  if (subset === 'common') return CORRUPTIONS.filter((c) => !CATEGORIES.extra.includes(c));
  return [...CATEGORIES[subset]];
}

export function checkCorruptionName(name: string): CorruptionName {
  if ((CORRUPTIONS as readonly string[]).includes(name)) return name as CorruptionName;
  const close = closeMatches(name, CORRUPTIONS);
  throw new ActbenchError(
    'CORRUPT_UNKNOWN',
    `unknown corruption '${name}'${close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(', ')}?)` : ''}; valid: ${CORRUPTIONS.join(', ')}`,
    { field: 'corruption' },
  );
}

export function checkSeverity(severity: number): 1 | 2 | 3 | 4 | 5 {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) {
    throw new ActbenchError('CORRUPT_BAD_SEVERITY', `severity must be an integer from 1 to 5, got ${severity}`, { field: 'severity' });
  }
  return severity as 1 | 2 | 3 | 4 | 5;
}

function checkImage(image: ImageU8, preset: Preset): void {
  const { data, height, width, channels } = image;
  if (!(data instanceof Uint8Array)) throw new ActbenchError('CORRUPT_BAD_IMAGE', 'image.data must be a Uint8Array (HWC, uint8)', { field: 'image.data' });
  if (channels !== 1 && channels !== 3) throw new ActbenchError('CORRUPT_BAD_IMAGE', `image.channels must be 1 (grey) or 3 (RGB), got ${channels}`, { field: 'image.channels' });
  if (!Number.isInteger(height) || !Number.isInteger(width) || data.length !== height * width * channels) {
    throw new ActbenchError('CORRUPT_BAD_IMAGE', `image.data has ${data.length} bytes, expected height·width·channels = ${height}·${width}·${channels}`, { field: 'image.data' });
  }
  if (Math.min(height, width) < MIN_SIDE[preset]) {
    throw new ActbenchError(
      'CORRUPT_TOO_SMALL',
      `a ${width}×${height} image is too small for the '${preset}' preset (made for ${PRESET_SIZE[preset]}×${PRESET_SIZE[preset]}, needs a side ≥ ${MIN_SIDE[preset]})`,
      { field: 'image' },
    );
  }
}

/** Truncate toward zero into uint8, as numpy's astype(np.uint8) on values in [0, 255]. */
export function toUint8(x: CorruptResult): Uint8Array {
  if (x instanceof Uint8Array) return x;
  const out = new Uint8Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const v = x[k];
    out[k] = v >= 255 ? 255 : v > 0 ? Math.trunc(v) : 0;
  }
  return out;
}

/** The float result before the cast (for comparisons with the reference's float outputs). */
export function corruptFloat(image: ImageU8, name: string, severity: number, options: CorruptOptions = {}): CorruptResult {
  return run(image, name, severity, options, false);
}

function run(image: ImageU8, name: string, severity: number, options: CorruptOptions, bytes: boolean): CorruptResult {
  const n = checkCorruptionName(name);
  const s = checkSeverity(severity);
  const preset = options.preset ?? presetForSize(image.height, image.width);
  if (!PRESETS.includes(preset)) throw new ActbenchError('CORRUPT_BAD_PRESET', `preset must be one of ${PRESETS.join(', ')}, got '${String(preset)}'`, { field: 'preset' });
  checkImage(image, preset);
  const rng = options.rng ?? new NumpyRandomState(options.seed ?? 0);
  return corruptionFn(n)(image, { preset, severity: s, rng, frostDir: options.frostDir, bytes });
}

export function corrupt(image: ImageU8, name: string, severity: number, options: CorruptOptions = {}): ImageU8 {
  // bytes: the corruption writes its truncated uint8 result directly (no float image, no second pass)
  return { ...image, data: toUint8(run(image, name, severity, options, true)) };
}

/**
 * Many same-sized images with per-image generators: the same results as corrupt() one by one, but JPEG
 * compression goes to the codec in one call for the whole batch.
 */
export function corruptMany(images: Uint8Array, shape: { height: number; width: number; channels: number }, name: string, severity: number, rngFor: (k: number) => NumpyRandomState, options: Omit<CorruptOptions, 'rng' | 'seed'> = {}): Uint8Array {
  const px = shape.height * shape.width * shape.channels;
  const n = images.length / px;
  if (checkCorruptionName(name) === 'jpeg_compression' && n > 0) {
    const preset = options.preset ?? presetForSize(shape.height, shape.width);
    corruptFloat({ data: images.subarray(0, px), ...shape }, name, severity, { ...options, preset, rng: rngFor(0) }); // validates
    return jpegRoundTripMany(images, shape.width, shape.height, shape.channels, SEVERITY.jpeg_compression[preset][checkSeverity(severity) - 1]);
  }
  const out = new Uint8Array(images.length);
  for (let k = 0; k < n; k++) out.set(corrupt({ data: images.subarray(k * px, (k + 1) * px), ...shape }, name, severity, { ...options, rng: rngFor(k) }).data, k * px);
  return out;
}
