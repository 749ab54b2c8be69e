/**
 * Preprocessing as data: how uint8 images become a model's float input. One record says it all (scale,
 * per-channel mean/std, layout, channel order, input shape, resize + center crop); it comes from flags, a
 * preset, the model's metadata (`actbench.preprocess`, or the older `actbench.normalisation`), or the
 * default, in that order, field by field, and is stored with every result. docs/preprocessing.md lists
 * the metadata keys so other exporters can set them.
 *
 * The float fed for channel c of pixel p is (pixel[p][order(c)] · scale − mean[c]) / std[c], torchvision's
 * ToTensor + Normalize when scale is 1/255.
 */
import { ActbenchError } from '../errors.js';

export type Layout = 'nchw' | 'nhwc';
export type ChannelOrder = 'rgb' | 'bgr';
export type Interpolation = 'bilinear' | 'bicubic';
export const LAYOUTS: readonly Layout[] = ['nchw', 'nhwc'];
export const CHANNEL_ORDERS: readonly ChannelOrder[] = ['rgb', 'bgr'];
export const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'bicubic'];

/** Resize the shorter side to `resize` (aspect kept), then crop the centre `centerCrop`², as torchvision's Resize + CenterCrop. */
export interface ImageTransform {
  resize?: number;
  centerCrop?: number;
  interpolation: Interpolation;
}

export interface Preprocess {
  /** per channel (or one for all), in the model's channel order */
  mean: number[];
  std: number[];
  /** multiplies the uint8 pixel first (1/255: pixels in [0, 1]) */
  scale: number;
  /** the float input's layout: [N, C, H, W] (PyTorch) or [N, H, W, C] (Keras/TF) */
  layout: Layout;
  /** the model's channel order; images are RGB, 'bgr' swaps (Caffe / OpenCV models) */
  channelOrder: ChannelOrder;
  /** [C, H, W] to feed a model whose input has dynamic dims (checked against the data) */
  inputShape?: [number, number, number];
  /** applied when a folder of image files is decoded (array datasets are already sized) */
  image?: ImageTransform;
}

export type PreprocessField = 'mean' | 'std' | 'scale' | 'layout' | 'channelOrder' | 'inputShape' | 'image';
export type Origin = 'flag' | 'preset' | 'metadata' | 'default';

/** A resolved record and where each field came from (printed, and stored with each result). */
export interface ResolvedPreprocess extends Preprocess {
  preset?: PresetName;
  origin: Partial<Record<PreprocessField, Origin>>;
}

export const DEFAULT_PREPROCESS: Preprocess = { mean: [0], std: [1], scale: 1 / 255, layout: 'nchw', channelOrder: 'rgb' };

export type PresetName = 'imagenet' | 'cifar' | 'inception';
/** torchvision's ImageNet weights (256 → 224 bilinear), CIFAR-10's channel statistics, Inception-v3 (342 → 299). */
export const PRESETS: Record<PresetName, Omit<Preprocess, 'inputShape'>> = {
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 1 / 255, layout: 'nchw', channelOrder: 'rgb', image: { resize: 256, centerCrop: 224, interpolation: 'bilinear' } },
  cifar: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616], scale: 1 / 255, layout: 'nchw', channelOrder: 'rgb' },
  inception: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255, layout: 'nchw', channelOrder: 'rgb', image: { resize: 342, centerCrop: 299, interpolation: 'bilinear' } },
};
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** What the user asked for (CLI flags or library options); any subset. */
export interface PreprocessRequest {
  preset?: string;
  mean?: number[];
  std?: number[];
  scale?: number;
  layout?: Layout;
  channelOrder?: ChannelOrder;
  inputShape?: [number, number, number];
  resize?: number;
  centerCrop?: number;
  interpolation?: Interpolation;
  /** false: the data is stored at its size (array datasets), so no resize/crop applies or is recorded */
  image?: false;
}

const bad = (field: string, message: string, file?: string, exit = 2) => new ActbenchError('PREPROCESS_BAD_VALUE', message, { field, exit, ...(file ? { file } : {}) });

/** "0.485,0.456,0.406" → numbers (flags). */
export function parseNumberList(flag: string, v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const xs = parts.map(Number);
  if (parts.some((s) => !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) || xs.some((x) => !Number.isFinite(x))) {
    throw bad(flag, `${flag} expects a comma list of finite numbers (one per channel, e.g. 0.485,0.456,0.406), got '${v}'`);
  }
  return xs;
}

/** "1/255" or "0.00392…" (flags). */
export function parseScale(v: string): number {
  const m = /^\s*1\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(v);
  const x = m ? 1 / Number(m[1]) : /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(x) || x <= 0) throw bad('--scale', `--scale expects a number > 0 or 1/N (e.g. 1/255), got '${v}'`);
  return x;
}

/** "3,224,224" → [C, H, W] (flags). */
export function parseInputShape(v: string): [number, number, number] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.length !== 3 || parts.some((s) => !/^\d+$/.test(s) || Number(s) < 1)) {
    throw bad('--input-shape', `--input-shape expects C,H,W of positive integers (e.g. 3,224,224), got '${v}'`);
  }
  return parts.map(Number) as [number, number, number];
}

/** The domain of every field of a request or a metadata record: coded errors naming the field. */
function checkRequest(r: PreprocessRequest, where: { file?: string; prefix: string; exit: number }): void {
  const f = (k: string) => `${where.prefix}${k}`;
  const nums = (k: 'mean' | 'std', xs: unknown) => {
    if (!Array.isArray(xs) || xs.length === 0 || !xs.every((x) => typeof x === 'number' && Number.isFinite(x))) throw bad(f(k), `${where.file ? `${where.file}: ` : ''}${f(k)} must be a non-empty list of finite numbers, got ${JSON.stringify(xs)}`, where.file, where.exit);
  };
  if (r.mean !== undefined) nums('mean', r.mean);
  if (r.std !== undefined) {
    nums('std', r.std);
    if (r.std.some((s) => s <= 0)) throw bad(f('std'), `${where.file ? `${where.file}: ` : ''}${f('std')} must be > 0 for every channel, got ${JSON.stringify(r.std)}`, where.file, where.exit);
  }
  if (r.mean && r.std && r.mean.length !== r.std.length && r.mean.length !== 1 && r.std.length !== 1) {
    throw new ActbenchError('PREPROCESS_CHANNELS', `${where.file ? `${where.file}: ` : ''}${f('mean')} has ${r.mean.length} values and ${f('std')} ${r.std.length}; expected one per channel each (or a single value)`, { field: f('std'), exit: where.exit, ...(where.file ? { file: where.file } : {}) });
  }
  if (r.scale !== undefined && !(typeof r.scale === 'number' && Number.isFinite(r.scale) && r.scale > 0)) throw bad(f('scale'), `${f('scale')} must be a number > 0, got ${JSON.stringify(r.scale)}`, where.file, where.exit);
  if (r.layout !== undefined && !LAYOUTS.includes(r.layout)) throw bad(f('layout'), `${f('layout')} must be one of ${LAYOUTS.join(', ')}, got ${JSON.stringify(r.layout)}`, where.file, where.exit);
  if (r.channelOrder !== undefined && !CHANNEL_ORDERS.includes(r.channelOrder)) throw bad(f('channelOrder'), `${f('channelOrder')} must be one of ${CHANNEL_ORDERS.join(', ')}, got ${JSON.stringify(r.channelOrder)}`, where.file, where.exit);
  if (r.interpolation !== undefined && !INTERPOLATIONS.includes(r.interpolation)) throw bad(f('interpolation'), `${f('interpolation')} must be one of ${INTERPOLATIONS.join(', ')}, got ${JSON.stringify(r.interpolation)}`, where.file, where.exit);
  const size = (k: 'resize' | 'centerCrop', v: unknown) => {
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 16384)) throw bad(f(k), `${f(k)} must be an integer in [1, 16384], got ${JSON.stringify(v)}`, where.file, where.exit);
  };
  size('resize', r.resize);
  size('centerCrop', r.centerCrop);
  if (r.inputShape !== undefined && !(Array.isArray(r.inputShape) && r.inputShape.length === 3 && r.inputShape.every((d) => Number.isInteger(d) && d >= 1))) {
    throw bad(f('inputShape'), `${f('inputShape')} must be [C, H, W] of positive integers, got ${JSON.stringify(r.inputShape)}`, where.file, where.exit);
  }
}

/** Flags (or library options): presets known, values in their domains, crop ≤ resize. */
export function checkPreprocessRequest(r: PreprocessRequest): PreprocessRequest {
  if (r.preset !== undefined && !PRESET_NAMES.includes(r.preset as PresetName)) {
    throw new ActbenchError('PREPROCESS_UNKNOWN_PRESET', `--preprocess '${r.preset}' is not a preset; expected one of ${PRESET_NAMES.join(', ')}`, { field: 'preprocess', exit: 2 });
  }
  checkRequest(r, { prefix: '--', exit: 2 });
  const p = r.preset ? PRESETS[r.preset as PresetName].image : undefined;
  const resize = r.resize ?? p?.resize;
  const crop = r.centerCrop ?? p?.centerCrop;
  if (resize !== undefined && crop !== undefined && crop > resize) {
    throw new ActbenchError('PREPROCESS_CROP_TOO_LARGE', `--center-crop ${crop} is larger than --resize ${resize}: the crop must fit inside the resized image's shorter side`, { field: 'center-crop', exit: 2 });
  }
  return r;
}

/**
 * A model's metadata → a partial request: `actbench.preprocess` (JSON object, any subset of the fields of
 * docs/preprocessing.md) or, for models exported before it, `actbench.normalisation` ({ mean, std }).
 */
export function preprocessFromMetadata(file: string, meta: Record<string, string>): PreprocessRequest | null {
  const key = meta['actbench.preprocess'] !== undefined ? 'actbench.preprocess' : meta['actbench.normalisation'] !== undefined ? 'actbench.normalisation' : null;
  if (!key) return null;
  let v: unknown;
  try {
    v = JSON.parse(meta[key]);
  } catch (e) {
    throw new ActbenchError('EVAL_BAD_MODEL', `${file}: metadata '${key}' is not valid JSON (${(e as Error).message})`, { file, field: key });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ActbenchError('EVAL_BAD_MODEL', `${file}: metadata '${key}' must be a JSON object, got ${meta[key].slice(0, 80)}`, { file, field: key });
  const o = v as Record<string, unknown>;
  const known = key === 'actbench.normalisation' ? ['mean', 'std'] : ['mean', 'std', 'scale', 'layout', 'channelOrder', 'inputShape', 'resize', 'centerCrop', 'interpolation'];
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length) throw new ActbenchError('EVAL_BAD_MODEL', `${file}: metadata '${key}' has unknown field(s) ${unknown.join(', ')}; expected any of ${known.join(', ')} (docs/preprocessing.md)`, { file, field: `${key}.${unknown[0]}` });
  if (key === 'actbench.normalisation' && (o.mean === undefined || o.std === undefined)) throw new ActbenchError('EVAL_BAD_MODEL', `${file}: metadata '${key}' must be { mean: [...], std: [...] }`, { file, field: key });
  const r = o as PreprocessRequest;
  try {
    checkRequest(r, { file, prefix: `${key}.`, exit: 1 });
  } catch (e) {
    throw new ActbenchError('EVAL_BAD_MODEL', (e as Error).message, { file, field: (e as ActbenchError).field ?? key });
  }
  if (r.resize !== undefined && r.centerCrop !== undefined && r.centerCrop > r.resize) {
    throw new ActbenchError('EVAL_BAD_MODEL', `${file}: metadata '${key}' has centerCrop ${r.centerCrop} > resize ${r.resize}`, { file, field: `${key}.centerCrop` });
  }
  return r;
}

/** Field by field: flags, then the preset, then the model's metadata, then the default. */
export function resolvePreprocess(request: PreprocessRequest = {}, metadata: PreprocessRequest | null = null): ResolvedPreprocess {
  const preset = request.preset ? PRESETS[request.preset as PresetName] : undefined;
  const origin: Partial<Record<PreprocessField, Origin>> = {};
  const pick = <K extends 'mean' | 'std' | 'scale' | 'layout' | 'channelOrder'>(k: K): Preprocess[K] => {
    if (request[k] !== undefined) return (origin[k] = 'flag'), request[k] as Preprocess[K];
    if (preset) return (origin[k] = 'preset'), preset[k];
    if (metadata?.[k] !== undefined) return (origin[k] = 'metadata'), metadata[k] as Preprocess[K];
    return (origin[k] = 'default'), DEFAULT_PREPROCESS[k];
  };
  const out: ResolvedPreprocess = { mean: pick('mean'), std: pick('std'), scale: pick('scale'), layout: pick('layout'), channelOrder: pick('channelOrder'), origin };
  if (request.preset) out.preset = request.preset as PresetName;
  if (request.inputShape) (out.inputShape = request.inputShape), (origin.inputShape = 'flag');
  else if (metadata?.inputShape) (out.inputShape = metadata.inputShape), (origin.inputShape = 'metadata');
  // resize, crop and interpolation travel together: a flag for one keeps the preset's / metadata's others
  const base = preset?.image ?? (metadata && (metadata.resize !== undefined || metadata.centerCrop !== undefined) ? { resize: metadata.resize, centerCrop: metadata.centerCrop, interpolation: metadata.interpolation ?? 'bilinear' } : undefined);
  const flagged = request.resize !== undefined || request.centerCrop !== undefined || request.interpolation !== undefined;
  const image: ImageTransform | undefined = flagged || base
    ? { ...(request.resize ?? base?.resize) !== undefined ? { resize: request.resize ?? base?.resize } : {}, ...(request.centerCrop ?? base?.centerCrop) !== undefined ? { centerCrop: request.centerCrop ?? base?.centerCrop } : {}, interpolation: request.interpolation ?? base?.interpolation ?? 'bilinear' }
    : undefined;
  if (image && request.image !== false && (image.resize !== undefined || image.centerCrop !== undefined)) {
    out.image = image;
    origin.image = flagged ? 'flag' : preset ? 'preset' : 'metadata';
  }
  return out;
}

/** The stored form (no origin noise beyond one line per field): what a result was computed with. */
export function preprocessRecord(p: ResolvedPreprocess): ResolvedPreprocess {
  return JSON.parse(JSON.stringify(p)) as ResolvedPreprocess;
}

/** Equality of what was fed (origins aside): a stored cell is reused only for the same preprocessing. */
export function samePreprocess(a: Preprocess | undefined, b: Preprocess): boolean {
  const norm = (p: Preprocess) => JSON.stringify([p.mean, p.std, p.scale, p.layout, p.channelOrder, p.inputShape ?? null, p.image ?? null]);
  return norm(a ?? DEFAULT_PREPROCESS) === norm(b);
}

const fmt = (xs: number[]) => `[${xs.map((x) => +x.toPrecision(6)).join(', ')}]`;

/** One line for the terminal: the values and where each came from. */
export function describePreprocess(p: ResolvedPreprocess): string {
  const o = (k: PreprocessField) => (p.origin[k] && p.origin[k] !== 'flag' ? ` (${p.origin[k]})` : '');
  const scale = Math.abs(p.scale * 255 - 1) < 1e-12 ? '1/255' : String(+p.scale.toPrecision(6));
  const img = p.image ? `, ${p.image.resize !== undefined ? `resize ${p.image.resize}` : 'no resize'}${p.image.centerCrop !== undefined ? ` → center-crop ${p.image.centerCrop}` : ''} ${p.image.interpolation}${o('image')}` : '';
  return `${p.preset ? `preset ${p.preset}: ` : ''}mean ${fmt(p.mean)}${o('mean')}, std ${fmt(p.std)}${o('std')}, scale ${scale}${o('scale')}, ${p.layout}${o('layout')}, ${p.channelOrder}${o('channelOrder')}${p.inputShape ? `, input ${p.inputShape.join('×')}${o('inputShape')}` : ''}${img}`;
}

/**
 * The model's float input from a batch of uint8 NHWC RGB images: `rows` images (the last ones zero when
 * `n < rows`, padding for a static batch), in the record's layout and channel order.
 */
export function toFloatInput(p: Preprocess, images: Uint8Array, n: number, rows: number, h: number, w: number, c: number): Float32Array {
  if (p.mean.length !== 1 && p.mean.length !== c) throw new ActbenchError('PREPROCESS_CHANNELS', `mean has ${p.mean.length} values, the images have ${c} channels`, { field: 'mean' });
  if (p.std.length !== 1 && p.std.length !== c) throw new ActbenchError('PREPROCESS_CHANNELS', `std has ${p.std.length} values, the images have ${c} channels`, { field: 'std' });
  const out = new Float32Array(rows * c * h * w);
  const hw = h * w;
  for (let ch = 0; ch < c; ch++) {
    const mean = p.mean[p.mean.length === 1 ? 0 : ch];
    const std = p.std[p.std.length === 1 ? 0 : ch];
    // (x·scale − mean)/std as one multiply-add; the source channel reversed for BGR models
    const a = p.scale / std;
    const b = -mean / std;
    const src = p.channelOrder === 'bgr' && c === 3 ? 2 - ch : ch;
    for (let i = 0; i < n; i++) {
      const base = i * hw * c;
      if (p.layout === 'nchw') {
        const o = (i * c + ch) * hw;
        for (let q = 0; q < hw; q++) out[o + q] = images[base + q * c + src] * a + b;
      } else {
        for (let q = 0; q < hw; q++) out[base + q * c + ch] = images[base + q * c + src] * a + b;
      }
    }
  }
  return out;
}
