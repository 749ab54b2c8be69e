/**
 * `actbench eval`: accuracy of ONNX models on clean data and on every (corruption, severity) cell, from
 * (a) released CIFAR-10/100-C directories or ones written by `actbench corrupt` (read by row ranges:
 * memory stays bounded), or (b) on-the-fly corruption of a clean set in worker threads (the next batch is
 * corrupted while onnxruntime runs the current one). Each cell is one record in the results store;
 * cells already there for the same model hash and dataset are skipped, so a killed run resumes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { checkCorruptionName, type CorruptionName } from '../corrupt/index.js';
import type { ArrayJob, DecodeJob } from '../corrupt/worker.js';
import type { ImageSet } from '../data/dataset.js';
import { CifarC, openImagenetC, type ImagenetCTree } from '../data/released.js';
import { decodeImage } from '../data/folder.js';
import { SPLIT_SEED, stratifiedSubset, type Normalisation } from '../data/split.js';
import { DEFAULT_PREPROCESS, checkPreprocessRequest, preprocessFromMetadata, preprocessRecord, resolvePreprocess, samePreprocess, toFloatInput, type PreprocessRequest, type ResolvedPreprocess } from '../data/preprocess.js';
import { Calibration } from './calibration.js';
import { machineInfo, machineLine } from '../bench/machine.js';
import { labelFromMetadata } from '../acts/label.js';
import { readRunManifest } from '../train/run-dir.js';
import { ActbenchError, fsError } from '../errors.js';
import { decodeModel, packageVersion } from '../onnx/writer.js';
import { cellKey, ResultsStore, type EvalRecord } from '../results/store.js';
import { checkLabels, checkModelContract, checkOutputDims, describeGraph, inputDims, type DataDesc, type ModelContract, type ModelDesc } from '../runtime/contract.js';
import { createSession, DEFAULT_OPT_LEVEL, type EpName, type OptLevel, type SessionInfo } from '../runtime/session.js';
import { loadModel } from '../train/io.js';
import { selectBackend } from '../train/backend.js';
import { WorkerPool } from '../util/pool.js';
import { onTheFlyCoreSplit } from './cores.js';

export interface OnnxModelInfo {
  path: string;
  hash: string;
  /** the declared inputs and outputs, checked by the model contract (runtime/contract.ts) */
  desc: ModelDesc;
  /** what the model is fed: flags over the model's metadata over the default (data/preprocess.ts) */
  preprocess: ResolvedPreprocess;
  /** the normalisation part of `preprocess` (the TF.js fidelity comparison feeds the same) */
  normalisation: Normalisation;
  activation?: string;
  seed?: number;
  classes?: string[];
}

/** A model with its contract checked against the data it will be fed. */
export interface PreparedModel extends OnnxModelInfo {
  contract: ModelContract;
}

function metaJson<T>(path: string, meta: Record<string, string>, key: string): T | undefined {
  if (meta[key] === undefined) return undefined;
  try {
    return JSON.parse(meta[key]) as T;
  } catch (e) {
    throw new ActbenchError('EVAL_BAD_MODEL', `${path}: metadata '${key}' is not valid JSON (${(e as Error).message})`, { file: path, field: key });
  }
}

/**
 * Read a model, its graph's inputs/outputs and actbench's metadata. `preprocess` (flags or library
 * options) overrides the metadata field by field; a bare `Normalisation` (older callers) sets mean/std.
 */
export function readModelInfo(path: string, preprocess?: PreprocessRequest | Normalisation): OnnxModelInfo {
  if (!existsSync(path)) throw new ActbenchError('EVAL_MODEL_MISSING', `${path} not found`, { file: path });
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fsError(e, path, 'read the model');
  }
  let model;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw new ActbenchError('EVAL_BAD_MODEL', `${path} is not an ONNX model: ${(e as Error).message}`, { file: path });
  }
  if (!model.graph) throw new ActbenchError('EVAL_BAD_MODEL', `${path} is not an ONNX model (no graph)`, { file: path });
  const meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key, p.value]));
  const pre = resolvePreprocess(preprocess ? checkPreprocessRequest(preprocess) : {}, preprocessFromMetadata(path, meta));
  const act = metaJson<{ name: string; expr: string; constants: Record<string, number> }>(path, meta, 'actbench.activation');
  return {
    path,
    hash: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    desc: describeGraph(path, model.graph),
    preprocess: pre,
    normalisation: { mean: pre.mean, std: pre.std },
    activation: act ? labelFromMetadata(meta) : undefined,
    classes: metaJson<string[]>(path, meta, 'actbench.classes'),
  };
}

/** The model contract against the data (every label of every set included), before any work. */
export function prepareModel(info: OnnxModelInfo, data: DataDesc): PreparedModel {
  const p = info.preprocess;
  if (p.inputShape && (p.inputShape[0] !== data.channels || p.inputShape[1] !== data.height || p.inputShape[2] !== data.width)) {
    throw new ActbenchError('PREPROCESS_INPUT_SHAPE', `${info.path}: the input shape ${p.inputShape.join(',')} (C,H,W${p.origin.inputShape === 'metadata' ? ', from the model\'s metadata' : ''}) is not the data's ${data.channels},${data.height},${data.width}; resize and crop folder images with --resize/--center-crop`, { file: info.path, field: 'input-shape' });
  }
  const contract = checkModelContract(info.desc, data, undefined, p.layout);
  if (contract.input === 'uint8-nhwc') {
    // raw pixels go in untouched: a normalisation asked for would silently not happen
    const given = (['mean', 'std', 'scale', 'channelOrder'] as const).filter((k) => p.origin[k] === 'flag' || p.origin[k] === 'preset');
    if (given.length) throw new ActbenchError('PREPROCESS_UINT8_INPUT', `${info.path}: input '${contract.inputName}' takes raw uint8 pixels (preprocessing inside the graph); ${given.join(', ')} cannot be applied — drop ${given.map((k) => `--${k === 'channelOrder' ? 'channel-order' : k}`).join(', ')}${p.preset ? ' / --preprocess' : ''}`, { file: info.path, field: given[0] });
  } else {
    const C = contract.shape[0];
    for (const k of ['mean', 'std'] as const) {
      if (p[k].length !== 1 && p[k].length !== C) {
        throw new ActbenchError('PREPROCESS_CHANNELS', `${info.path}: ${k} has ${p[k].length} values (${p.origin[k]}), the input '${contract.inputName}' has ${C} channel(s); expected ${C} values or one`, { file: info.path, field: k });
      }
    }
    if (p.channelOrder === 'bgr' && C !== 3) throw new ActbenchError('PREPROCESS_CHANNELS', `${info.path}: channel order bgr needs 3 channels, the input has ${C}`, { file: info.path, field: 'channel-order' });
  }
  return { ...info, contract };
}

/** A batch of uint8 NHWC images (padded to `rows`) as the model's input tensor. */
export function toInput(m: PreparedModel, images: Uint8Array, n: number, rows: number, h: number, w: number, c: number): ort.Tensor {
  const [C, H, W] = m.contract.shape;
  const dims = inputDims(m.contract, rows);
  if (c !== C || h !== H || w !== W) {
    throw new ActbenchError('MODEL_INPUT_SHAPE', `${m.path}: input '${m.contract.inputName}' expects ${H}×${W}×${C} images (H×W×C), the data has ${h}×${w}×${c}`, { file: m.path, field: m.contract.inputName });
  }
  if (m.contract.input === 'uint8-nhwc') {
    const data = rows === n ? images : new Uint8Array(rows * h * w * c);
    if (rows !== n) data.set(images.subarray(0, n * h * w * c));
    return new ort.Tensor('uint8', data, [rows, h, w, c]);
  }
  return new ort.Tensor('float32', toFloatInput(m.preprocess, images, n, rows, h, w, c), dims);
}

export interface CountedBatch {
  top1: number;
  top5: number;
  /** predictions with a non-finite logit (NaN or ±Inf): never counted correct */
  nonFinite: number;
  n: number;
  /** argmax over the finite logits; −1 when none is finite */
  predictions: Int32Array;
}

/**
 * Top-1 / top-5 of a batch of logits. A prediction is correct only when the true class's logit is finite
 * and strictly larger than every other (ties and NaN count against it); top-5 when fewer than 5 other
 * logits are ≥ it (or NaN). A model that outputs NaN, or the same value for every class, scores 0.
 */
export function scoreLogits(logits: ArrayLike<number>, labels: ArrayLike<number>, k: number): CountedBatch {
  const n = labels.length;
  let top1 = 0;
  let top5 = 0;
  let nonFinite = 0;
  const predictions = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    const t = labels[i];
    const target = logits[o + t];
    let notBelow = 0;
    let best = -1;
    let finite = true;
    for (let j = 0; j < k; j++) {
      const v = logits[o + j];
      if (!Number.isFinite(v)) finite = false;
      else if (best < 0 || v > logits[o + best]) best = j;
      // `!(v < target)`: ties, larger values and NaN all count against the true class
      if (j !== t && !(v < target)) notBelow++;
    }
    predictions[i] = best;
    if (!finite) nonFinite++;
    if (!Number.isFinite(target)) continue;
    if (notBelow === 0) top1++;
    if (notBelow < 5) top5++;
  }
  return { top1, top5, nonFinite, n, predictions };
}

export async function classify(s: SessionInfo, m: PreparedModel, images: Uint8Array, labels: Int32Array, h: number, w: number, c: number, calibration?: Calibration): Promise<CountedBatch> {
  const n = labels.length;
  const px = h * w * c;
  // a static batch is fed in chunks of exactly that size, the last one padded (padding rows are dropped)
  const step = m.contract.batch ?? n;
  const parts: CountedBatch[] = [];
  for (let a = 0; a < n; a += step) {
    const e = Math.min(n, a + step);
    const rows = m.contract.batch ?? e - a;
    const out = await s.session.run({ [m.contract.inputName]: toInput(m, images.subarray(a * px, e * px), e - a, rows, h, w, c) });
    const y = out[m.contract.outputName] ?? out[s.session.outputNames[0]];
    const k = checkOutputDims(m.contract, y.dims, rows);
    const part = labels.subarray(a, e);
    for (let i = 0; i < part.length; i++) {
      if (!(part[i] >= 0 && part[i] < k)) {
        throw new ActbenchError('MODEL_LABEL_RANGE', `${m.path}: output '${m.contract.outputName}' has ${k} classes, but a label is ${part[i]}; expected labels in [0, ${k})`, { file: m.path, field: 'labels' });
      }
    }
    const logits = (y.data as Float32Array).subarray(0, (e - a) * k);
    calibration?.add(logits, part, k);
    parts.push(scoreLogits(logits, part, k));
  }
  const predictions = new Int32Array(n);
  let off = 0;
  for (const p of parts) {
    predictions.set(p.predictions, off);
    off += p.n;
  }
  return { top1: parts.reduce((x, p) => x + p.top1, 0), top5: parts.reduce((x, p) => x + p.top5, 0), nonFinite: parts.reduce((x, p) => x + p.nonFinite, 0), n, predictions };
}

export interface Batch {
  images: Uint8Array;
  labels: Int32Array;
  height: number;
  width: number;
  channels: number;
}

export interface EvalCellSpec {
  corruption: CorruptionName | null;
  severity: number | null;
  batches: () => AsyncGenerator<Batch>;
  /** the image files the cell decodes, in order (a folder tree's cells: what a queue worker checks it has too) */
  files?: readonly string[];
  /** fed at the size its files are stored: the models' resize/crop is not applied (an ImageNet-C tree's images were resized and cropped when it was made) */
  storedSize?: boolean;
}

/** What a cell's images are fed: the model's preprocessing, less the resize/crop when the cell uses its images at their stored size. */
export function cellFeed(p: ResolvedPreprocess, cell: Pick<EvalCellSpec, 'storedSize'>): ResolvedPreprocess {
  if (!cell.storedSize || !p.image) return p;
  const { image: _image, ...rest } = p;
  const { image: _origin, ...origin } = p.origin;
  return { ...rest, origin };
}

export interface EvalSource {
  /**
   * key of the dataset in the results store: names the images exactly (the subset's size, how it was
   * chosen and a hash of its identity; the corruption seed for on-the-fly data), so a rerun with another
   * --limit or seed never reuses a cell
   */
  key: string;
  cells: EvalCellSpec[];
  /** the image shape and every label set the cells will feed (for the model contract, before any work) */
  describe(): DataDesc;
  /** cells asked for that the data does not hold (an ImageNet-C tree without some severity folders): reported, not evaluated */
  missing?: { corruption: CorruptionName; severity: number }[];
  close(): Promise<void>;
  /** session threading the source asks for (on-the-fly corruption shares the cores: eval/cores.ts) */
  session?: { intraOpThreads: number; spinning: boolean };
}

const sha = (...parts: (Uint8Array | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 12);
};
const bytesOf = (a: Int32Array | number[]) => (Array.isArray(a) ? Buffer.from(Int32Array.from(a).buffer) : new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

/** The identity of a clean image set: count, how it was chosen, and a hash of its pixels and labels. */
export function subsetId(set: ImageSet, selection = 'given'): string {
  return `n=${set.labels.length},sel=${selection},h=${sha(set.images, bytesOf(set.labels))}`;
}

const cleanCell = (clean: ImageSet, bs: number): EvalCellSpec => ({
  corruption: null,
  severity: null,
  async *batches() {
    const px = clean.height * clean.width * clean.channels;
    for (let s = 0; s < clean.labels.length; s += bs) {
      const e = Math.min(clean.labels.length, s + bs);
      yield { images: clean.images.subarray(s * px, e * px), labels: clean.labels.subarray(s, e), height: clean.height, width: clean.width, channels: clean.channels };
    }
  },
});

/**
 * On-the-fly: clean images, corrupted in a worker pool with per-image seeds; one batch prefetched while the
 * session runs the current one, unless `overlap` is false (the split of the cores: eval/cores.ts).
 * `selection` says how `clean` was chosen (e.g. 'stratified:SPLIT_SEED'); it is part of the store key.
 */
export function onTheFlySource(clean: ImageSet, o: { name: string; corruptions: CorruptionName[]; severities: number[]; seed: number; batch?: number; workers?: number; overlap?: boolean; includeClean?: boolean; selection?: string; indices?: number[] }): EvalSource {
  const bs = o.batch ?? 256;
  const { height: H, width: W, channels: C } = clean;
  const px = H * W * C;
  const n = clean.labels.length;
  let pool: WorkerPool<ArrayJob, Uint8Array> | null = null;
  const cores = onTheFlyCoreSplit();
  const nWorkers = o.workers ?? cores.workers;
  const overlap = o.overlap ?? cores.overlap;
  // created on the first corrupted batch, so a refused contract starts no threads
  const workers = () => (pool ??= new WorkerPool<ArrayJob, Uint8Array>(new URL(import.meta.url.endsWith('.ts') ? '../corrupt/worker.ts' : '../corrupt/worker.js', import.meta.url), nWorkers));
  const cell = (corruption: CorruptionName, severity: number): EvalCellSpec => ({
    corruption,
    severity,
    async *batches() {
      const job = (start: number, end: number) => {
        const images = clean.images.slice(start * px, end * px);
        return workers().run({ kind: 'array', images, height: H, width: W, channels: C, corruption, severity, start, seed: o.seed, ...(o.indices ? { indices: o.indices.slice(start, end) } : {}) }, [images.buffer]);
      };
      // split each batch across the workers so all cores corrupt while the model runs
      const split = (start: number) => {
        const end = Math.min(n, start + bs);
        const parts: Promise<Uint8Array>[] = [];
        const step = Math.ceil((end - start) / nWorkers);
        for (let s = start; s < end; s += step) parts.push(job(s, Math.min(end, s + step)).then((x) => x.subarray(0, (Math.min(end, s + step) - s) * px)));
        return Promise.all(parts).then((xs) => {
          const all = new Uint8Array((end - start) * px);
          let off = 0;
          for (const x of xs) {
            all.set(x, off);
            off += x.length;
          }
          return all;
        });
      };
      let next: Promise<Uint8Array> | null = overlap ? split(0) : null;
      for (let start = 0; start < n; start += bs) {
        const images = await (next ?? split(start));
        if (overlap && start + bs < n) next = split(start + bs);
        yield { images, labels: clean.labels.slice(start, Math.min(n, start + bs)), height: H, width: W, channels: C };
      }
    },
  });
  const cells: EvalCellSpec[] = [...(o.includeClean === false ? [] : [cleanCell(clean, bs)])];
  for (const c of o.corruptions) for (const s of o.severities) cells.push(cell(c, s));
  return {
    key: `${o.name}#${subsetId(clean, o.selection)}@seed${o.seed}`,
    cells,
    describe: () => ({ height: H, width: W, channels: C, numClasses: clean.numClasses, labelSets: [{ what: `the clean set (${o.name})`, labels: clean.labels }] }),
    close: async () => {
      await pool?.close();
    },
    session: { intraOpThreads: cores.intraOpThreads, spinning: cores.spinning },
  };
}

export interface CifarCSourceOptions {
  corruptions?: CorruptionName[];
  severities?: number[];
  batch?: number;
  /**
   * the clean set the directory was made from: adds the clean cell, and is checked to describe the same
   * images as every severity block (count, labels, H×W×C) before any work
   */
  clean?: ImageSet;
  /** --limit: a stratified subset (data/split.ts) of `clean`; the same images in the clean and the corrupted cells */
  limit?: number;
  /** a name for `clean` in messages (its --data spec) */
  cleanName?: string;
}

/**
 * A CIFAR-10-C style directory (released, or from `actbench corrupt`), read by ranges. With `clean`, the
 * directory must hold either exactly the clean (sub)set or the whole clean set (then the rows of the
 * subset are read from each severity block).
 */
export function cifarCSource(dir: string, o: CifarCSourceOptions = {}): EvalSource {
  const c = new CifarC(dir);
  const bs = o.batch ?? 256;
  const wanted = o.corruptions ?? c.corruptions;
  const sevs = o.severities ?? c.severities;
  for (const s of sevs) c.block(s);
  for (const corruption of wanted) {
    if (!c.corruptions.includes(corruption)) throw new ActbenchError('EVAL_MISSING_CORRUPTION', `${dir} has no ${corruption}.npy (it holds ${c.corruptions.join(', ')})`, { file: dir, field: 'corruptions' });
  }
  if (o.limit !== undefined && !o.clean) throw new ActbenchError('EVAL_LIMIT_NEEDS_CLEAN', `a --limit on ${dir} needs the clean set it was made from (--data)`, { field: 'limit' });
  const P = c.perSeverity;
  // which rows of each block, and which clean images they are
  let rows: number[] = Array.from({ length: P }, (_, k) => k);
  let clean: ImageSet | undefined = o.clean;
  let selection = 'all';
  if (o.clean) {
    const full = o.clean;
    const sub = o.limit !== undefined && o.limit < full.labels.length ? stratifiedSubset(full, o.limit) : null;
    const want = sub ? sub.set : full;
    if (sub) selection = `stratified:${SPLIT_SEED}`;
    const name = o.cleanName ?? full.name;
    if (P === want.labels.length) {
      clean = want; // the directory holds exactly these images (made with the same --limit)
    } else if (sub && P === full.labels.length) {
      clean = want;
      rows = sub.indices;
    } else {
      throw new ActbenchError('EVAL_SOURCE_MISMATCH',
        `${dir} holds ${P} images per severity${c.manifest ? ` (${c.manifest.subset.selection}, from ${c.manifest.source})` : ''}, the clean set ${name} ${sub ? `limited to ${want.labels.length} of ${full.labels.length}` : `has ${want.labels.length}`}: they are not the same images${c.manifest ? ` (pass the --data and --limit the set was made with: ${c.manifest.subset.images} images)` : ''}`,
        { file: dir, field: 'images' });
    }
    const [H, W, C] = c.shape;
    if (H !== want.height || W !== want.width || C !== want.channels) {
      throw new ActbenchError('EVAL_SOURCE_MISMATCH', `${dir} holds ${H}×${W}×${C} images, the clean set ${name} ${want.height}×${want.width}×${want.channels}: they are not the same images`, { file: dir, field: 'shape' });
    }
    for (const s of sevs) {
      const bl = c.blockLabels(s);
      const at = rows.findIndex((r, i) => bl[r] !== want.labels[i]);
      if (at >= 0) {
        throw new ActbenchError('EVAL_SOURCE_MISMATCH', `${dir}: image ${at} of severity ${s} (row ${c.block(s) * P + rows[at]} of labels.npy) is labelled ${bl[rows[at]]}, in the clean set ${name} ${want.labels[at]}: they are not the same images`, { file: join(dir, 'labels.npy'), field: 'labels' });
      }
    }
  }
  const cells: EvalCellSpec[] = clean ? [cleanCell(clean, bs)] : [];
  for (const corruption of wanted) {
    for (const severity of sevs) {
      cells.push({
        corruption,
        severity,
        async *batches() {
          for (let s = 0; s < rows.length; s += bs) {
            const slice = c.readRows(corruption, severity, rows.slice(s, s + bs));
            yield { images: slice.images, labels: slice.labels, height: slice.height, width: slice.width, channels: slice.channels };
          }
        },
      });
    }
  }
  const m = c.manifest;
  const identity = clean ? subsetId(clean, selection) : `n=${rows.length},sel=${selection},h=${sha(bytesOf(rows), bytesOf(c.labels))}`;
  return {
    key: `cifar-c:${dir}#${identity}${m ? `@seed${m.seed},preset=${m.preset}` : ''}`,
    cells,
    describe: () => {
      const [height, width, channels] = c.shape;
      return {
        height, width, channels, numClasses: clean?.numClasses,
        labelSets: [...(clean ? [{ what: `the clean set (${o.cleanName ?? clean.name})`, labels: clean.labels }] : []), ...sevs.map((s) => ({ what: `severity ${s} of ${join(dir, 'labels.npy')}`, file: join(dir, 'labels.npy'), labels: rows.map((r) => c.blockLabels(s)[r]) }))],
      };
    },
    close: async () => {},
  };
}

/**
 * ImageNet-C / Tiny-ImageNet-C trees (`<corruption>/<severity>/<class>/<file>`): JPEGs decoded in worker
 * threads, one batch ahead of the session. Images must already have the model's input size (ImageNet-C:
 * 224×224, Tiny-ImageNet-C: 64×64), as the released files do. Any subset of severity folders may exist:
 * the absent ones are listed in `missing` (never guessed, never a crash); none at all is an error. With
 * `clean` (the validation set), a clean cell is added, each class folder is labelled by its index in the
 * clean set's class names (so a tree holding some of ImageNet's 1 000 classes keeps ImageNet's indices), and
 * every (corruption, severity) folder must hold the same images.
 */
export function imagenetCSource(root: string, o: { corruptions?: CorruptionName[]; severities?: number[]; batch?: number; workers?: number; channels?: 1 | 3; clean?: ImageSet }): EvalSource {
  const tree = openImagenetC(root);
  let pool: WorkerPool<DecodeJob, Uint8Array> | null = null;
  const workers = () => (pool ??= new WorkerPool<DecodeJob, Uint8Array>(new URL(import.meta.url.endsWith('.ts') ? '../corrupt/worker.ts' : '../corrupt/worker.js', import.meta.url), o.workers ?? cpus().length));
  const bs = o.batch ?? 64;
  const channels = o.channels ?? 3;
  const cells: EvalCellSpec[] = o.clean ? [cleanCell(o.clean, bs)] : [];
  const listings = new Map<string, ReturnType<ImagenetCTree['list']>>();
  const missing: { corruption: CorruptionName; severity: number }[] = [];
  const wanted = o.corruptions ?? tree.corruptions;
  for (const corruption of wanted) {
    if (!tree.corruptions.includes(corruption)) throw new ActbenchError('EVAL_MISSING_CORRUPTION', `${root} has no ${corruption}/ folder`, { file: root, field: 'corruptions' });
    for (const severity of o.severities ?? [1, 2, 3, 4, 5]) {
      const folder = join(root, corruption, String(severity));
      if (!existsSync(folder)) {
        missing.push({ corruption, severity });
        continue;
      }
      const listing = tree.list(corruption, severity);
      listings.set(`${corruption}/${severity}`, listing);
      if (o.clean) {
        const cl = o.clean;
        if (cl.classNames) {
          const index = new Map(cl.classNames.map((c, k) => [c, k]));
          const unknown = listing.classes.filter((c) => !index.has(c));
          if (unknown.length) {
            throw new ActbenchError('EVAL_SOURCE_MISMATCH', `${folder} has class folders ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? '…' : ''} that the clean set (classes ${cl.classNames.slice(0, 3).join(', ')}…) does not: they are not the same images`, { file: folder, field: 'classes' });
          }
          for (const e of listing.entries) e.label = index.get(listing.classes[e.label]) as number;
        }
        if (listing.entries.length !== cl.labels.length || listing.entries.some((e, i) => e.label !== cl.labels[i])) {
          throw new ActbenchError('EVAL_SOURCE_MISMATCH', `${folder} lists ${listing.entries.length} images, the clean set has ${cl.labels.length} (or their classes differ): they are not the same images`, { file: folder, field: 'images' });
        }
      }
      const { entries } = listing;
      cells.push({
        corruption,
        severity,
        files: entries.map((e) => e.file),
        storedSize: true,
        async *batches() {
          const load = (k: number) => workers().run({ kind: 'decode', files: entries.slice(k, k + bs).map((e) => e.file), channels });
          const probe = decodeImage(entries[0].file, channels);
          let next = load(0);
          for (let k = 0; k < entries.length; k += bs) {
            const images = await next;
            if (k + bs < entries.length) next = load(k + bs);
            const labels = Int32Array.from(entries.slice(k, k + bs), (e) => e.label);
            yield { images, labels, height: probe.height, width: probe.width, channels };
          }
        },
      });
    }
  }
  if (listings.size === 0) {
    throw new ActbenchError('EVAL_BAD_SEVERITY', `${root} has none of the requested <corruption>/<severity>/ folders (${missing.slice(0, 4).map((m) => `${m.corruption}/${m.severity}`).join(', ')}${missing.length > 4 ? ', …' : ''})`, { file: root, field: 'severity' });
  }
  const first = [...listings.values()][0];
  return {
    key: `imagenet-c:${root}${o.clean ? `#${subsetId(o.clean, 'all')}` : ''}`,
    cells,
    missing,
    describe: () => {
      const probe = first ? decodeImage(first.entries[0].file, channels) : { height: o.clean?.height ?? 0, width: o.clean?.width ?? 0 };
      return {
        height: probe.height, width: probe.width, channels, numClasses: o.clean?.numClasses ?? first?.classes.length,
        labelSets: [...(o.clean ? [{ what: 'the clean set', labels: o.clean.labels }] : []), ...[...listings].map(([k, l]) => ({ what: join(root, k), file: join(root, k), labels: l.entries.map((e) => e.label) }))],
      };
    },
    close: async () => {
      await pool?.close();
    },
  };
}

export interface EvalOptions {
  ep?: EpName;
  optLevel?: OptLevel;
  store: ResultsStore;
  /** compare with the TF.js model next to the .onnx (model.json): on the cells of these severities (default all), first `batches` batches */
  fidelity?: boolean | { severities?: number[]; batches?: number };
  /** preprocessing over the model's metadata (flags); a bare Normalisation sets mean/std only */
  preprocess?: PreprocessRequest | Normalisation;
  /** @deprecated use `preprocess` */
  normalisation?: Normalisation;
  onCell?: (r: EvalRecord, skipped: boolean) => void;
  /** after every batch (progress, memory sampling) */
  onBatch?: () => void;
}

/** The model contract of one model against a source (every label set included): call for every model before any work. */
export function checkEvalContract(modelPath: string, source: EvalSource, preprocess?: PreprocessRequest | Normalisation): PreparedModel {
  return prepareModel(readModelInfo(modelPath, preprocess), source.describe());
}

/** Run the model once on a zero batch (its static batch, or 1) and return the logits per image it gives. */
export async function probeClasses(s: SessionInfo, c: ModelContract): Promise<number> {
  const [C, H, W] = c.shape;
  const n = c.batch ?? 1;
  const dims = inputDims(c, n);
  const x = c.input === 'uint8-nhwc' ? new ort.Tensor('uint8', new Uint8Array(n * H * W * C), dims) : new ort.Tensor('float32', new Float32Array(n * C * H * W), dims);
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await s.session.run({ [c.inputName]: x });
  } catch (e) {
    throw new ActbenchError('MODEL_RUN_FAILED', `${c.file}: onnxruntime could not run the model on ${n} ${H}×${W}×${C} image(s) shaped [${x.dims.join(', ')}]: ${(e as Error).message.split('\n')[0]}`, { file: c.file, field: c.inputName });
  }
  return checkOutputDims(c, out[c.outputName].dims, n);
}

/**
 * A stored cell counts as done for this model only when it was fed the same way. A stored-size cell is
 * compared with its feed (no resize/crop); records written before that was recorded carry the model's
 * resize/crop, but their images were used at their stored size too, so they count as well.
 */
export const fedAlike = (model: OnnxModelInfo, source: Pick<EvalSource, 'cells'>) => {
  const stored = new Set(source.cells.filter((c) => c.storedSize).map((c) => cellKey(c.corruption, c.severity)));
  return (r: EvalRecord): boolean => {
    if (!r.preprocess) return isLegacyFeed(model.preprocess);
    if (samePreprocess(r.preprocess, model.preprocess)) return true;
    return stored.has(cellKey(r.corruption, r.severity)) && samePreprocess(r.preprocess, cellFeed(model.preprocess, { storedSize: true }));
  };
};

/** Records from before preprocessing was stored were fed mean/std from the metadata (or none), nothing else. */
function isLegacyFeed(p: ResolvedPreprocess): boolean {
  return (['mean', 'std', 'scale', 'layout', 'channelOrder'] as const).every((k) => p.origin[k] === 'metadata' || p.origin[k] === 'default') && samePreprocess({ ...p, mean: [0], std: [1] }, { ...DEFAULT_PREPROCESS, mean: [0], std: [1] });
}

/** The training seed recorded next to an exported model (the one run-directory reader), if it is a run. */
export function runSeed(dir: string): number | undefined {
  if (!existsSync(join(dir, 'manifest.json'))) return undefined;
  return readRunManifest(dir).seed;
}

export async function evaluateModel(modelPath: string, source: EvalSource, o: EvalOptions): Promise<EvalRecord[]> {
  // before any work: the model against the data, and the store (not another kind of file; a torn tail repaired)
  const model = checkEvalContract(modelPath, source, o.preprocess ?? o.normalisation);
  o.store.prepareAppend();
  const tfDir = dirname(modelPath);
  const seed = runSeed(tfDir);
  const session = await createSession(modelPath, { ep: o.ep ?? 'auto', optLevel: o.optLevel ?? DEFAULT_OPT_LEVEL, ...source.session });
  let tfModel: tf.LayersModel | null = null;
  const records: EvalRecord[] = [];
  try {
    // one probe run: the output's real shape (a dynamic class count resolved) against every label
    checkLabels(model.contract, source.describe(), await probeClasses(session, model.contract));
    if (o.fidelity && existsSync(join(tfDir, 'model.json'))) {
      // the pure-JS default backend would make the comparison the bottleneck
      if (tf.getBackend() === 'cpu' || !tf.getBackend()) await selectBackend('auto', 'infer');
      tfModel = await loadModel(tfDir);
    }
    // finished cells of this model and dataset, read once rather than per cell
    // finished cells of this model and dataset, fed the same way (a cell with other mean/std is not done), read once
    const finished = o.store.evalCells(model.hash, source.key, fedAlike(model, source));
    for (const cell of source.cells) {
      const done = finished.get(cellKey(cell.corruption, cell.severity));
      if (done) {
        records.push(done);
        o.onCell?.(done, true);
        continue;
      }
      const t0 = performance.now();
      let top1 = 0;
      let top5 = 0;
      let nonFinite = 0;
      let n = 0;
      let agree = 0;
      let compared = 0;
      const fid = typeof o.fidelity === 'object' ? o.fidelity : {};
      const checkThis = tfModel !== null && cell.corruption !== null && (!fid.severities || fid.severities.includes(cell.severity as number));
      let batchNo = 0;
      const calibration = new Calibration();
      for await (const b of cell.batches()) {
        const r = await classify(session, model, b.images, b.labels, b.height, b.width, b.channels, calibration);
        top1 += r.top1;
        top5 += r.top5;
        nonFinite += r.nonFinite;
        n += r.n;
        o.onBatch?.();
        if (checkThis && tfModel && batchNo++ < (fid.batches ?? Infinity)) {
          const norm = model.normalisation ?? { mean: [0], std: [1] };
          const tfPred = tf.tidy(() => {
            const x = tf.tensor4d(b.images, [r.n, b.height, b.width, b.channels], 'int32').toFloat().div(255).sub(norm.mean).div(norm.std);
            return (tfModel as tf.LayersModel).predict(x) as tf.Tensor;
          });
          const p = tfPred.argMax(-1).dataSync();
          tfPred.dispose();
          for (let i = 0; i < r.n; i++) if (p[i] === r.predictions[i]) agree++;
          compared += r.n;
        }
      }
      if (n === 0) throw new ActbenchError('EVAL_EMPTY', `no images for ${cell.corruption ?? 'clean'} in ${source.key}`);
      const cal = calibration.result();
      const rec: EvalRecord = {
        kind: 'eval', model: modelPath, modelHash: model.hash, activation: model.activation, seed, dataset: source.key,
        corruption: cell.corruption, severity: cell.severity, top1: top1 / n, top5: top5 / n, n, nonFinite,
        ...(cal ? { loss: cal.loss, ece: cal.ece } : {}),
        preprocess: preprocessRecord(cellFeed(model.preprocess, cell)),
        provider: session.actualEp, requestedProvider: session.requestedEp, optLevel: session.optLevel,
        ...(session.disabledOptimizers.length ? { disabledOptimizers: session.disabledOptimizers } : {}),
        ...(compared ? { fidelity: agree / compared } : {}),
        intraOpThreads: session.intraOpThreads, spinning: session.spinning,
        seconds: (performance.now() - t0) / 1000,
        provenance: { actbench: packageVersion(), machine: machineLine(machineInfo()), time: new Date().toISOString() },
      };
      records.push(o.store.append(rec)); // as stored: with its schemaVersion
      o.onCell?.(rec, false);
    }
  } finally {
    await session.session.release();
    tfModel?.dispose();
  }
  return records;
}

export function parseCorruptionList(list: string[]): CorruptionName[] {
  return list.map(checkCorruptionName);
}
