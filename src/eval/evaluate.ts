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
import { CifarC, openImagenetC } from '../data/released.js';
import { decodeImage } from '../data/folder.js';
import type { Normalisation } from '../data/split.js';
import { machineInfo, machineLine } from '../bench/machine.js';
import { ActbenchError } from '../errors.js';
import { decodeModel, packageVersion } from '../onnx/writer.js';
import { cellKey, ResultsStore, type EvalRecord } from '../results/store.js';
import { createSession, type EpName, type OptLevel, type SessionInfo } from '../runtime/session.js';
import { loadModel } from '../train/io.js';
import { selectBackend } from '../train/backend.js';
import { WorkerPool } from '../util/pool.js';

export interface OnnxModelInfo {
  path: string;
  hash: string;
  inputName: string;
  /** 'uint8-nhwc': preprocessing inside the graph; 'float-nchw': normalised float input */
  input: 'uint8-nhwc' | 'float-nchw';
  /** [C, H, W] */
  shape: [number, number, number];
  normalisation: Normalisation | null;
  activation?: string;
  seed?: number;
  classes?: string[];
}

export function readModelInfo(path: string, normalisation?: Normalisation): OnnxModelInfo {
  if (!existsSync(path)) throw new ActbenchError('EVAL_MODEL_MISSING', `${path} not found`, { file: path });
  const bytes = readFileSync(path);
  let model;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw new ActbenchError('EVAL_BAD_MODEL', `${path} is not an ONNX model: ${(e as Error).message}`, { file: path });
  }
  const meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key, p.value]));
  const input = model.graph?.input?.[0];
  const dims = (input?.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0));
  const elem = input?.type?.tensorType?.elemType;
  if (!input?.name || dims.length !== 4) throw new ActbenchError('EVAL_BAD_MODEL', `${path}: the first input must be a rank-4 image tensor`, { file: path, field: 'input' });
  const uint8 = elem === 2; // TensorProto.UINT8
  const shape: [number, number, number] = uint8 ? [dims[3], dims[1], dims[2]] : [dims[1], dims[2], dims[3]];
  const norm = normalisation ?? (meta['actbench.normalisation'] ? (JSON.parse(meta['actbench.normalisation']) as Normalisation) : null);
  const act = meta['actbench.activation'] ? (JSON.parse(meta['actbench.activation']) as { name: string; expr: string; constants: Record<string, number> }) : undefined;
  return {
    path,
    hash: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    inputName: input.name,
    input: uint8 ? 'uint8-nhwc' : 'float-nchw',
    shape,
    normalisation: norm,
    activation: act ? (act.name === 'custom' ? act.expr : act.name + (act.constants && 'alpha' in act.constants && act.constants.alpha !== 1e-5 ? `:alpha=${act.constants.alpha}` : '')) : undefined,
    classes: meta['actbench.classes'] ? (JSON.parse(meta['actbench.classes']) as string[]) : undefined,
  };
}

/** A batch of uint8 NHWC images as the model's input tensor. */
function toInput(info: OnnxModelInfo, images: Uint8Array, n: number, h: number, w: number, c: number): ort.Tensor {
  if (c !== info.shape[0] || h !== info.shape[1] || w !== info.shape[2]) {
    throw new ActbenchError('EVAL_SHAPE_MISMATCH', `${info.path} expects ${info.shape[1]}×${info.shape[2]}×${info.shape[0]} images, the data has ${h}×${w}×${c}`, { file: info.path, field: 'input' });
  }
  if (info.input === 'uint8-nhwc') return new ort.Tensor('uint8', images, [n, h, w, c]);
  const norm = info.normalisation ?? { mean: Array(c).fill(0), std: Array(c).fill(1) };
  const out = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++) {
      const scale = 1 / (255 * norm.std[ch]);
      const shift = -norm.mean[ch] / norm.std[ch];
      for (let p = 0; p < h * w; p++) out[((i * c + ch) * h * w) + p] = images[(i * h * w + p) * c + ch] * scale + shift;
    }
  return new ort.Tensor('float32', out, [n, c, h, w]);
}

export interface CountedBatch {
  top1: number;
  top5: number;
  n: number;
  predictions: Int32Array;
}

export async function classify(s: SessionInfo, info: OnnxModelInfo, images: Uint8Array, labels: Int32Array, h: number, w: number, c: number): Promise<CountedBatch> {
  const n = labels.length;
  const out = await s.session.run({ [info.inputName]: toInput(info, images, n, h, w, c) });
  const logits = out[s.session.outputNames[0]].data as Float32Array;
  const k = logits.length / n;
  let top1 = 0;
  let top5 = 0;
  const predictions = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * k, (i + 1) * k);
    const target = row[labels[i]];
    let above = 0;
    let best = 0;
    for (let j = 0; j < k; j++) {
      if (row[j] > target) above++;
      if (row[j] > row[best]) best = j;
    }
    predictions[i] = best;
    if (above === 0) top1++;
    if (above < 5) top5++;
  }
  return { top1, top5, n, predictions };
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
}

export interface EvalSource {
  /** key of the dataset in the results store (includes seed and image count for on-the-fly data) */
  key: string;
  cells: EvalCellSpec[];
  close(): Promise<void>;
}

/** On-the-fly: clean images, corrupted in a worker pool with per-image seeds; one batch prefetched. */
export function onTheFlySource(clean: ImageSet, o: { name: string; corruptions: CorruptionName[]; severities: number[]; seed: number; batch?: number; workers?: number; includeClean?: boolean }): EvalSource {
  const pool = new WorkerPool<ArrayJob, Uint8Array>(new URL(import.meta.url.endsWith('.ts') ? '../corrupt/worker.ts' : '../corrupt/worker.js', import.meta.url), o.workers ?? cpus().length);
  const bs = o.batch ?? 256;
  const { height: H, width: W, channels: C } = clean;
  const px = H * W * C;
  const n = clean.labels.length;
  const cell = (corruption: CorruptionName | null, severity: number | null): EvalCellSpec => ({
    corruption,
    severity,
    async *batches() {
      const job = (start: number) => {
        const end = Math.min(n, start + bs);
        const images = clean.images.slice(start * px, end * px);
        return corruption === null
          ? Promise.resolve(images)
          : pool.run({ kind: 'array', images, height: H, width: W, channels: C, corruption, severity: severity as number, start, seed: o.seed }, [images.buffer]);
      };
      // split each batch across the workers so all cores corrupt while the model runs
      const split = (start: number) => {
        const end = Math.min(n, start + bs);
        const parts: Promise<Uint8Array>[] = [];
        const step = Math.ceil((end - start) / Math.max(1, o.workers ?? cpus().length));
        for (let s = start; s < end; s += step) parts.push(job(s).then((x) => x.subarray(0, (Math.min(end, s + step) - s) * px)));
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
      let next = split(0);
      for (let start = 0; start < n; start += bs) {
        const images = await next;
        if (start + bs < n) next = split(start + bs);
        yield { images, labels: clean.labels.slice(start, Math.min(n, start + bs)), height: H, width: W, channels: C };
      }
    },
  });
  const cells: EvalCellSpec[] = [...(o.includeClean === false ? [] : [cell(null, null)])];
  for (const c of o.corruptions) for (const s of o.severities) cells.push(cell(c, s));
  return { key: `${o.name}@seed${o.seed}:${n}`, cells, close: () => pool.close() };
}

/** A CIFAR-10-C style directory (released, or from `actbench corrupt`), read by ranges. */
export function cifarCSource(dir: string, o: { corruptions?: CorruptionName[]; severities?: number[]; batch?: number; clean?: ImageSet }): EvalSource {
  const c = new CifarC(dir);
  const manifestFile = join(dir, 'manifest.json');
  const severities = existsSync(manifestFile) ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as { severities: number[] }).severities : [1, 2, 3, 4, 5];
  const bs = o.batch ?? 256;
  const wanted = o.corruptions ?? c.corruptions;
  const sevs = o.severities ?? severities;
  for (const s of sevs) {
    if (!severities.includes(s)) throw new ActbenchError('EVAL_BAD_SEVERITY', `${dir} holds severities ${severities.join(',')}, not ${s}`, { file: dir, field: 'severity' });
  }
  const cells: EvalCellSpec[] = [];
  if (o.clean) {
    const clean = o.clean;
    cells.push({
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
  }
  for (const corruption of wanted) {
    if (!c.corruptions.includes(corruption)) throw new ActbenchError('EVAL_MISSING_CORRUPTION', `${dir} has no ${corruption}.npy`, { file: dir });
    for (const severity of sevs) {
      const index = severities.indexOf(severity) + 1; // position of the block in the stack
      cells.push({
        corruption,
        severity,
        async *batches() {
          for (let s = 0; s < c.perSeverity; s += bs) {
            const slice = c.read(corruption, index, s, Math.min(c.perSeverity, s + bs));
            yield { images: slice.images, labels: slice.labels, height: slice.height, width: slice.width, channels: slice.channels };
          }
        },
      });
    }
  }
  return { key: `cifar-c:${dir}`, cells, close: async () => {} };
}

/**
 * ImageNet-C / Tiny-ImageNet-C trees (`<corruption>/<severity>/<class>/<file>`): JPEGs decoded in worker
 * threads, one batch ahead of the session. Images must already have the model's input size (ImageNet-C:
 * 224×224, Tiny-ImageNet-C: 64×64), as the released files do.
 */
export function imagenetCSource(root: string, o: { corruptions?: CorruptionName[]; severities?: number[]; batch?: number; workers?: number; channels?: 1 | 3 }): EvalSource {
  const tree = openImagenetC(root);
  const pool = new WorkerPool<DecodeJob, Uint8Array>(new URL(import.meta.url.endsWith('.ts') ? '../corrupt/worker.ts' : '../corrupt/worker.js', import.meta.url), o.workers ?? cpus().length);
  const bs = o.batch ?? 64;
  const channels = o.channels ?? 3;
  const cells: EvalCellSpec[] = [];
  for (const corruption of o.corruptions ?? tree.corruptions) {
    for (const severity of o.severities ?? [1, 2, 3, 4, 5]) {
      cells.push({
        corruption,
        severity,
        async *batches() {
          const { entries } = tree.list(corruption, severity);
          const load = (k: number) => pool.run({ kind: 'decode', files: entries.slice(k, k + bs).map((e) => e.file), channels });
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
  return { key: `imagenet-c:${root}`, cells, close: () => pool.close() };
}

export interface EvalOptions {
  ep?: EpName;
  optLevel?: OptLevel;
  store: ResultsStore;
  /** compare with the TF.js model next to the .onnx (model.json): on the cells of these severities (default all), first `batches` batches */
  fidelity?: boolean | { severities?: number[]; batches?: number };
  normalisation?: Normalisation;
  onCell?: (r: EvalRecord, skipped: boolean) => void;
  /** after every batch (progress, memory sampling) */
  onBatch?: () => void;
}

export async function evaluateModel(modelPath: string, source: EvalSource, o: EvalOptions): Promise<EvalRecord[]> {
  const info = readModelInfo(modelPath, o.normalisation);
  const session = await createSession(modelPath, { ep: o.ep ?? 'auto', optLevel: o.optLevel ?? 'basic' });
  let tfModel: tf.LayersModel | null = null;
  const tfDir = dirname(modelPath);
  if (o.fidelity && existsSync(join(tfDir, 'model.json'))) {
    // the pure-JS default backend would make the comparison the bottleneck
    if (tf.getBackend() === 'cpu' || !tf.getBackend()) await selectBackend('auto', 'infer');
    tfModel = await loadModel(tfDir);
  }
  const manifest = existsSync(join(tfDir, 'manifest.json')) ? (JSON.parse(readFileSync(join(tfDir, 'manifest.json'), 'utf8')) as { seed?: number }) : null;
  const records: EvalRecord[] = [];
  // finished cells of this model and dataset, read once rather than per cell
  const finished = o.store.evalCells(info.hash, source.key);
  try {
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
      let n = 0;
      let agree = 0;
      let compared = 0;
      const fid = typeof o.fidelity === 'object' ? o.fidelity : {};
      const checkThis = tfModel !== null && cell.corruption !== null && (!fid.severities || fid.severities.includes(cell.severity as number));
      let batchNo = 0;
      for await (const b of cell.batches()) {
        const r = await classify(session, info, b.images, b.labels, b.height, b.width, b.channels);
        top1 += r.top1;
        top5 += r.top5;
        n += r.n;
        o.onBatch?.();
        if (checkThis && tfModel && batchNo++ < (fid.batches ?? Infinity)) {
          const norm = info.normalisation ?? { mean: [0], std: [1] };
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
      const rec: EvalRecord = {
        kind: 'eval', model: modelPath, modelHash: info.hash, activation: info.activation, seed: manifest?.seed, dataset: source.key,
        corruption: cell.corruption, severity: cell.severity, top1: top1 / n, top5: top5 / n, n,
        provider: session.actualEp, requestedProvider: session.requestedEp, optLevel: session.optLevel,
        ...(compared ? { fidelity: agree / compared } : {}),
        seconds: (performance.now() - t0) / 1000,
        provenance: { actbench: packageVersion(), machine: machineLine(machineInfo()), time: new Date().toISOString() },
      };
      o.store.append(rec);
      records.push(rec);
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
