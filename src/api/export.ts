/**
 * `actbench export models/<name>`: the trained TF.js model → model.onnx, validated before it is kept:
 * logits on real test images (clean, and corrupted with a mix of the 19 corruptions at severity 3) must match TF.js within the tolerance with full top-1
 * agreement, and onnx.checker must accept the file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { subset, type ImageSet } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { prng, shuffle } from '../data/split.js';
import { corrupt, deriveSeed, NumpyRandomState, type CorruptionName } from '../corrupt/index.js';
import { ActbenchError } from '../errors.js';
import { checkModels } from '../onnx/checker.js';
import { exportLayersModel } from '../onnx/export.js';
import { compareOnImages, type Fidelity } from '../onnx/validate.js';
import { describeBackend, selectBackend, type BackendRequest } from '../train/backend.js';
import { loadModel } from '../train/io.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readManifest } from './train.js';

export interface ExportRequest {
  dir: string;
  out?: string;
  opset?: number;
  keepBatchNorm?: boolean;
  /** uint8 NHWC input with the normalisation inside the graph */
  uint8Input?: boolean;
  cudaSafe?: boolean;
  /** |Δlogit| ≤ tolerance·max(1, max|logit|) */
  tolerance?: number;
  validationImages?: number;
  backend?: BackendRequest;
  log?: (line: string) => void;
}

export interface ExportReport {
  file: string;
  bytes: number;
  nodes: number;
  foldedBatchNorms: number;
  clean: Fidelity;
  /** the same images corrupted (a mix of corruptions at severity 3) */
  corrupted: Fidelity;
  checker: { version: string; ok: boolean } | null;
}

/** One corruption per image at severity 3, cycling through a mix of the 19 (export fidelity under corruption). */
const CHECK_CORRUPTIONS: CorruptionName[] = ['gaussian_noise', 'defocus_blur', 'contrast', 'jpeg_compression', 'fog', 'elastic_transform', 'impulse_noise', 'frost'];
function corrupted(s: ImageSet, seed: number): ImageSet {
  const px = s.height * s.width * s.channels;
  const images = new Uint8Array(s.images.length);
  for (let i = 0; i < s.labels.length; i++) {
    const name = CHECK_CORRUPTIONS[i % CHECK_CORRUPTIONS.length];
    const img = { data: s.images.subarray(i * px, (i + 1) * px), height: s.height, width: s.width, channels: s.channels };
    images.set(corrupt(img, name, 3, { rng: new NumpyRandomState(deriveSeed(seed, name, 3, i)) }).data, i * px);
  }
  return { ...s, images, name: `${s.name}+corrupted` };
}

export async function exportTrained(req: ExportRequest): Promise<ExportReport> {
  const log = req.log ?? (() => {});
  const manifest = readManifest(req.dir);
  const backend = await selectBackend(req.backend ?? 'auto', 'infer');
  log(describeBackend(backend));
  const model = await loadModel(req.dir);
  const manifestHash = createHash('sha256').update(readFileSync(join(req.dir, 'manifest.json'))).digest('hex');
  const exported = exportLayersModel(model, {
    opset: req.opset ?? 17,
    foldBatchNorm: !req.keepBatchNorm,
    cudaSafe: req.cudaSafe,
    ...(req.uint8Input ? { preprocess: manifest.normalisation } : {}),
    metadata: {
      'actbench.activation': JSON.stringify(manifest.activation),
      'actbench.model': manifest.model,
      'actbench.classes': JSON.stringify(manifest.dataset.classNames ?? Array.from({ length: manifest.dataset.numClasses }, (_, k) => String(k))),
      'actbench.dataset': manifest.dataset.spec,
      'actbench.normalisation': JSON.stringify(manifest.normalisation),
      'actbench.manifest_sha256': manifestHash,
    },
  });

  const ds = loadDataset(manifest.dataset.spec);
  const n = Math.min(req.validationImages ?? 256, ds.test.labels.length);
  const rand = prng(manifest.seed + 99);
  const pick = shuffle(Array.from({ length: ds.test.labels.length }, (_, k) => k), rand).slice(0, n).sort((a, b) => a - b);
  const clean = subset(ds.test, pick, 'test');
  const tol = req.tolerance ?? 1e-4;
  const uint8Input = !!req.uint8Input;
  const fClean = await compareOnImages(model, exported.bytes, clean, manifest.normalisation, { uint8Input });
  const fCorrupted = await compareOnImages(model, exported.bytes, corrupted(clean, manifest.seed), manifest.normalisation, { uint8Input });
  for (const [label, f] of [['clean', fClean], ['corrupted', fCorrupted]] as const) {
    const limit = tol * Math.max(1, f.logitScale);
    if (!(f.maxAbsDiff <= limit) || f.top1Agreement < 1) {
      throw new ActbenchError(
        'EXPORT_MISMATCH',
        `ONNX and TF.js disagree on ${f.images} ${label} test images: max |Δlogit| ${f.maxAbsDiff.toExponential(2)} (limit ${limit.toExponential(2)}), top-1 agreement ${(100 * f.top1Agreement).toFixed(2)} %; nothing was written`,
        { file: req.dir },
      );
    }
  }
  const file = req.out ?? join(req.dir, 'model.onnx');
  writeFileAtomic(file, exported.bytes);
  let checker: ExportReport['checker'] = null;
  if ((req.opset ?? 17) <= 17) {
    const r = checkModels([file]);
    if (r) {
      checker = { version: r.version, ok: r.results[0].ok };
      if (!r.results[0].ok) {
        rmSync(file, { force: true });
        throw new ActbenchError('EXPORT_CHECKER', `onnx.checker rejected ${file}: ${r.results[0].error}; the file was removed`, { file });
      }
    }
  }
  const report: ExportReport = { file, bytes: exported.bytes.length, nodes: exported.nodeCount, foldedBatchNorms: exported.foldedBatchNorms, clean: fClean, corrupted: fCorrupted, checker };
  writeFileAtomic(join(req.dir, 'export.json'), JSON.stringify({ ...report, opset: req.opset ?? 17, uint8Input, tolerance: tol, created: new Date().toISOString() }, null, 2));
  return report;
}
