/**
 * Severity tables of the three published generators (hendrycks/robustness make_cifar_c.py,
 * make_tinyimagenet_c.py, make_imagenet_c.py; corruptions.md §4), as data: one row per corruption,
 * severities 1→5. The algorithms in corruptions.ts read their constants only from here.
 */
export type Preset = 'cifar' | 'tinyimagenet' | 'imagenet';
export const PRESETS: readonly Preset[] = ['cifar', 'tinyimagenet', 'imagenet'];

/** canonical order of the reference scripts */
export const CORRUPTIONS = [
  'gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
  'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression',
  'speckle_noise', 'gaussian_blur', 'spatter', 'saturate',
] as const;
export type CorruptionName = (typeof CORRUPTIONS)[number];

/** Hendrycks categories (the 15 of mCE) and the 4 "extra" / validation corruptions. */
export const CATEGORIES: Record<'noise' | 'blur' | 'weather' | 'digital' | 'extra', readonly CorruptionName[]> = {
  noise: ['gaussian_noise', 'shot_noise', 'impulse_noise'],
  blur: ['defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur'],
  weather: ['snow', 'frost', 'fog', 'brightness'],
  digital: ['contrast', 'elastic_transform', 'pixelate', 'jpeg_compression'],
  extra: ['speckle_noise', 'gaussian_blur', 'spatter', 'saturate'],
};

type Row<T> = readonly [T, T, T, T, T];
type Table<T> = Record<Preset, Row<T>>;

export interface SeverityTables {
  gaussian_noise: Table<number>;
  shot_noise: Table<number>;
  impulse_noise: Table<number>;
  speckle_noise: Table<number>;
  gaussian_blur: Table<number>;
  /** (sigma, max_delta, iterations) */
  glass_blur: Table<readonly [number, number, number]>;
  /** (radius, alias_blur) */
  defocus_blur: Table<readonly [number, number]>;
  /** (radius, sigma) */
  motion_blur: Table<readonly [number, number]>;
  /** arange(1, stop, step) */
  zoom_blur: Table<readonly [number, number]>;
  /** (loc, scale, zoom, threshold, blur_radius, blur_sigma, blend) */
  snow: Table<readonly [number, number, number, number, number, number, number]>;
  /** (image weight, frost weight) */
  frost: Table<readonly [number, number]>;
  /** (strength, wibbledecay) */
  fog: Table<readonly [number, number]>;
  brightness: Table<number>;
  contrast: Table<number>;
  /** (mult, add) */
  saturate: Table<readonly [number, number]>;
  /** (alpha, sigma, affine jitter) as fractions of the image size */
  elastic_transform: Table<readonly [number, number, number]>;
  pixelate: Table<number>;
  jpeg_compression: Table<number>;
  /** (loc, scale, sigma, threshold, intensity, mode 0 water / 1 mud) */
  spatter: Table<readonly [number, number, number, number, number, 0 | 1]>;
}

export const SEVERITY: SeverityTables = {
  gaussian_noise: { cifar: [0.04, 0.06, 0.08, 0.09, 0.1], imagenet: [0.08, 0.12, 0.18, 0.26, 0.38], tinyimagenet: [0.04, 0.08, 0.12, 0.15, 0.18] },
  shot_noise: { cifar: [500, 250, 100, 75, 50], imagenet: [60, 25, 12, 5, 3], tinyimagenet: [250, 100, 50, 30, 15] },
  impulse_noise: { cifar: [0.01, 0.02, 0.03, 0.05, 0.07], imagenet: [0.03, 0.06, 0.09, 0.17, 0.27], tinyimagenet: [0.01, 0.02, 0.05, 0.08, 0.14] },
  speckle_noise: { cifar: [0.06, 0.1, 0.12, 0.16, 0.2], imagenet: [0.15, 0.2, 0.35, 0.45, 0.6], tinyimagenet: [0.15, 0.2, 0.25, 0.3, 0.35] },
  gaussian_blur: { cifar: [0.4, 0.6, 0.7, 0.8, 1], imagenet: [1, 2, 3, 4, 6], tinyimagenet: [0.5, 0.75, 1, 1.25, 1.5] },
  glass_blur: {
    cifar: [[0.05, 1, 1], [0.25, 1, 1], [0.4, 1, 1], [0.25, 1, 2], [0.4, 1, 2]],
    imagenet: [[0.7, 1, 2], [0.9, 2, 1], [1, 2, 3], [1.1, 3, 2], [1.5, 4, 2]],
    tinyimagenet: [[0.1, 1, 1], [0.5, 1, 1], [0.6, 1, 2], [0.7, 2, 1], [0.9, 2, 2]],
  },
  defocus_blur: {
    cifar: [[0.3, 0.4], [0.4, 0.5], [0.5, 0.6], [1, 0.2], [1.5, 0.1]],
    imagenet: [[3, 0.1], [4, 0.5], [6, 0.5], [8, 0.5], [10, 0.5]],
    tinyimagenet: [[0.5, 0.6], [1, 0.1], [1.5, 0.1], [2.5, 0.01], [3, 0.1]],
  },
  motion_blur: {
    cifar: [[6, 1], [6, 1.5], [6, 2], [8, 2], [9, 2.5]],
    imagenet: [[10, 3], [15, 5], [15, 8], [15, 12], [20, 15]],
    tinyimagenet: [[10, 1], [10, 1.5], [10, 2], [10, 2.5], [12, 3]],
  },
  zoom_blur: {
    cifar: [[1.06, 0.01], [1.11, 0.01], [1.16, 0.01], [1.21, 0.01], [1.26, 0.01]],
    imagenet: [[1.11, 0.01], [1.16, 0.01], [1.21, 0.02], [1.26, 0.02], [1.31, 0.03]],
    tinyimagenet: [[1.06, 0.01], [1.11, 0.01], [1.16, 0.01], [1.21, 0.01], [1.26, 0.01]],
  },
  snow: {
    cifar: [[0.1, 0.2, 1, 0.6, 8, 3, 0.95], [0.1, 0.2, 1, 0.5, 10, 4, 0.9], [0.15, 0.3, 1.75, 0.55, 10, 4, 0.9], [0.25, 0.3, 2.25, 0.6, 12, 6, 0.85], [0.3, 0.3, 1.25, 0.65, 14, 12, 0.8]],
    imagenet: [[0.1, 0.3, 3, 0.5, 10, 4, 0.8], [0.2, 0.3, 2, 0.5, 12, 4, 0.7], [0.55, 0.3, 4, 0.9, 12, 8, 0.7], [0.55, 0.3, 4.5, 0.85, 12, 8, 0.65], [0.55, 0.3, 2.5, 0.85, 12, 12, 0.55]],
    tinyimagenet: [[0.1, 0.2, 1, 0.6, 8, 3, 0.8], [0.1, 0.2, 1, 0.5, 10, 4, 0.8], [0.15, 0.3, 1.75, 0.55, 10, 4, 0.7], [0.25, 0.3, 2.25, 0.6, 12, 6, 0.65], [0.3, 0.3, 1.25, 0.65, 14, 12, 0.6]],
  },
  frost: {
    cifar: [[1, 0.2], [1, 0.3], [0.9, 0.4], [0.85, 0.4], [0.75, 0.45]],
    imagenet: [[1, 0.4], [0.8, 0.6], [0.7, 0.7], [0.65, 0.7], [0.6, 0.75]],
    tinyimagenet: [[1, 0.3], [0.9, 0.4], [0.8, 0.45], [0.75, 0.5], [0.7, 0.55]],
  },
  fog: {
    cifar: [[0.2, 3], [0.5, 3], [0.75, 2.5], [1, 2], [1.5, 1.75]],
    imagenet: [[1.5, 2], [2, 2], [2.5, 1.7], [2.5, 1.5], [3, 1.4]],
    tinyimagenet: [[0.4, 3], [0.7, 3], [1, 2.5], [1.5, 2], [2, 1.75]],
  },
  brightness: { cifar: [0.05, 0.1, 0.15, 0.2, 0.3], imagenet: [0.1, 0.2, 0.3, 0.4, 0.5], tinyimagenet: [0.1, 0.2, 0.3, 0.4, 0.5] },
  contrast: { cifar: [0.75, 0.5, 0.4, 0.3, 0.15], imagenet: [0.4, 0.3, 0.2, 0.1, 0.05], tinyimagenet: [0.4, 0.3, 0.2, 0.1, 0.05] },
  saturate: {
    cifar: [[0.3, 0], [0.1, 0], [1.5, 0], [2, 0.1], [2.5, 0.2]],
    imagenet: [[0.3, 0], [0.1, 0], [2, 0], [5, 0.1], [20, 0.2]],
    tinyimagenet: [[0.3, 0], [0.1, 0], [2, 0], [5, 0.1], [30, 0.2]],
  },
  elastic_transform: {
    cifar: [[0, 0, 0.08], [0.05, 0.2, 0.07], [0.08, 0.06, 0.06], [0.1, 0.04, 0.05], [0.1, 0.03, 0.03]],
    // the reference multiplies by 244 (its own comment: should have been 224); kept for parity
    imagenet: [[2, 0.7, 0.1], [2, 0.08, 0.2], [0.05, 0.01, 0.02], [0.07, 0.01, 0.02], [0.12, 0.01, 0.02]],
    tinyimagenet: [[0, 0, 0.08], [0.05, 0.3, 0.06], [0.1, 0.08, 0.06], [0.1, 0.03, 0.03], [0.16, 0.03, 0.02]],
  },
  pixelate: { cifar: [0.95, 0.9, 0.85, 0.75, 0.65], imagenet: [0.6, 0.5, 0.4, 0.3, 0.25], tinyimagenet: [0.9, 0.8, 0.7, 0.6, 0.5] },
  jpeg_compression: { cifar: [80, 65, 58, 50, 40], imagenet: [25, 18, 15, 10, 7], tinyimagenet: [65, 58, 50, 40, 25] },
  spatter: {
    cifar: [[0.62, 0.1, 0.7, 0.7, 0.5, 0], [0.65, 0.1, 0.8, 0.7, 0.5, 0], [0.65, 0.3, 1, 0.69, 0.5, 0], [0.65, 0.1, 0.7, 0.69, 0.6, 1], [0.65, 0.1, 0.5, 0.68, 0.6, 1]],
    imagenet: [[0.65, 0.3, 4, 0.69, 0.6, 0], [0.65, 0.3, 3, 0.68, 0.6, 0], [0.65, 0.3, 2, 0.68, 0.5, 0], [0.65, 0.3, 1, 0.65, 1.5, 1], [0.67, 0.4, 1, 0.65, 1.5, 1]],
    tinyimagenet: [[0.62, 0.1, 0.7, 0.7, 0.6, 0], [0.65, 0.1, 0.8, 0.7, 0.6, 0], [0.65, 0.3, 1, 0.69, 0.6, 0], [0.65, 0.1, 0.7, 0.68, 0.6, 1], [0.65, 0.1, 0.5, 0.67, 0.6, 1]],
  },
};

/** the image side each preset was made for (elastic multiplies by it; ImageNet's 244 is the reference's own) */
export const PRESET_SIZE: Record<Preset, number> = { cifar: 32, tinyimagenet: 64, imagenet: 224 };
export const ELASTIC_SCALE: Record<Preset, number> = { cifar: 32, tinyimagenet: 64, imagenet: 244 };
/** plasma-fractal map size (a power of two ≥ the image side) */
export const FOG_MAPSIZE: Record<Preset, number> = { cifar: 32, tinyimagenet: 64, imagenet: 256 };
/** frost texture resize factor before cropping */
export const FROST_RESIZE: Record<Preset, number> = { cifar: 0.2, tinyimagenet: 0.3, imagenet: 1 };

/** The preset for an image size when none is given: the published size closest from below. */
export function presetForSize(height: number, width: number): Preset {
  const side = Math.min(height, width);
  if (side >= 224) return 'imagenet';
  if (side >= 64) return 'tinyimagenet';
  return 'cifar';
}
