/**
 * `actbench export models/<name>`: the trained TF.js model → model.onnx, validated before it is kept:
 * logits on real test images (clean, and corrupted with a mix of the 19 corruptions at severity 3) must match TF.js within the tolerance with full top-1
 * agreement, and onnx.checker must accept the file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { type ImageSet } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { stratifiedSubset } from '../data/split.js';
import { corrupt, deriveSeed, NumpyRandomState, type CorruptionName } from '../corrupt/index.js';
import { specInputPaths } from '../data/spec.js';
import { ActbenchError, fsError } from '../errors.js';
import type { ExportTarget } from '../acts/onnx.js';
import { checkModels } from '../onnx/checker.js';
import { exportLayersModel, MIN_NETWORK_OPSET } from '../onnx/export.js';
import { compareOnImages, type Fidelity } from '../onnx/validate.js';
import { CHECKER_MAX_OPSET, SUPPORTED_OPSETS } from '../onnx/opsets.js';
import { describeBackend, selectBackend, type BackendRequest } from '../train/backend.js';
import { loadModel } from '../train/io.js';
import { readRunManifest, runPaths } from '../train/run-dir.js';
import { writeFileAtomic } from '../util/atomic.js';
import { withDirLock } from '../util/lock.js';
import { assertDisjoint, assertFresh, canonical } from '../util/paths.js';

export interface ExportRequest {
  dir: string;
  /** default <dir>/model.onnx; never a file of the run or of its dataset */
  out?: string;
  /** replace an existing --out that is not this run's own previous export */
  force?: boolean;
  opset?: number;
  keepBatchNorm?: boolean;
  /** uint8 NHWC input with the normalisation inside the graph */
  uint8Input?: boolean;
  /** 'cpu' | 'cuda' | 'any' (default): which provider the graph's lowerings are chosen for */
  target?: ExportTarget;
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

/**
 * Check the output before any work: inside the run only model.onnx (or another new file) may be written,
 * never one of the run's files or the dataset's; an existing file elsewhere is replaced only when it is
 * this run's own previous export (export.json names it) or with --force.
 */
function checkOutput(dir: string, out: string, spec: string, force: boolean | undefined): void {
  const p = runPaths(dir);
  assertDisjoint({ path: out, what: '--out' }, [
    { path: p.manifest, what: 'run manifest' }, { path: p.model, what: 'model' }, { path: p.weights, what: 'model weights' },
    { path: p.log, what: 'training log' }, { path: p.checkpoint, what: 'checkpoint' }, { path: p.export, what: 'export record' },
    ...specInputPaths(spec),
  ]);
  if (!existsSync(out)) return;
  if (statSync(out).isDirectory()) throw new ActbenchError('OUTPUT_IS_DIR', `--out ${out} is a directory; give the ONNX file's path`, { file: out, field: '--out' });
  let previous: string | null = null;
  try {
    previous = (JSON.parse(readFileSync(p.export, 'utf8')) as { file?: unknown }).file as string;
  } catch {
    // no (readable) record of an earlier export
  }
  const own = canonical(out) === canonical(p.onnx) || (typeof previous === 'string' && canonical(previous) === canonical(out));
  if (!own) assertFresh(out, '--out', force, 'it is not an export of this run: pass --force to replace it, or choose another --out');
}

/** The target a run's export was made for (its export.json; absent before it was recorded: the portable 'any'), or null without a readable one. */
export function exportedTarget(dir: string): ExportTarget | null {
  try {
    return (JSON.parse(readFileSync(runPaths(dir).export, 'utf8')) as { target?: ExportTarget }).target ?? 'any';
  } catch {
    return null;
  }
}

/** Export a trained run to ONNX (see the file comment); holds the run directory's lock while it writes. */
export async function exportTrained(req: ExportRequest): Promise<ExportReport> {
  const log = req.log ?? (() => {});
  const manifest = readRunManifest(req.dir);
  if (manifest.result.stopped) {
    throw new ActbenchError('EXPORT_STOPPED_RUN', `${req.dir} stopped during training (${manifest.result.stopped.reason}): it has no usable model to export`, { file: runPaths(req.dir).manifest, field: 'result.stopped' });
  }
  const opset = req.opset ?? SUPPORTED_OPSETS.default;
  if (!Number.isInteger(opset) || opset < MIN_NETWORK_OPSET || opset > SUPPORTED_OPSETS.max) {
    throw new ActbenchError('ONNX_BAD_OPSET', `opset must be an integer from ${MIN_NETWORK_OPSET} to ${SUPPORTED_OPSETS.max}, got ${opset}`, { field: 'opset', exit: 2 });
  }
  const file = req.out ?? runPaths(req.dir).onnx;
  checkOutput(req.dir, file, manifest.dataset.spec, req.force);
  return withDirLock(req.dir, () => exportLocked(req, manifest, file, opset, log), 'run directory');
}

async function exportLocked(req: ExportRequest, manifest: ReturnType<typeof readRunManifest>, file: string, opset: number, log: (l: string) => void): Promise<ExportReport> {
  const backend = await selectBackend(req.backend ?? 'auto', 'infer');
  log(describeBackend(backend));
  const model = await loadModel(req.dir);
  const manifestHash = createHash('sha256').update(readFileSync(runPaths(req.dir).manifest)).digest('hex');
  const exported = exportLayersModel(model, {
    opset,
    foldBatchNorm: !req.keepBatchNorm,
    target: req.target,
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
  // a class-stratified, deterministic set of test images (the split seed, not the run seed)
  const clean = { ...stratifiedSubset(ds.test, req.validationImages ?? 256).set, name: 'test' };
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
  try {
    writeFileAtomic(file, exported.bytes);
  } catch (e) {
    throw fsError(e, file, 'write');
  }
  let checker: ExportReport['checker'] = null;
  if (opset <= CHECKER_MAX_OPSET) {
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
  try {
    writeFileAtomic(runPaths(req.dir).export, JSON.stringify({ ...report, opset, target: req.target ?? 'any', uint8Input, tolerance: tol, created: new Date().toISOString() }, null, 2));
  } catch (e) {
    throw fsError(e, runPaths(req.dir).export, 'write');
  }
  return report;
}
