/**
 * `actbench analyze RUN|MODEL.onnx`: activation diagnostics of a real model on a deterministic,
 * class-stratified subset of test images (src/analyze/). A run directory is analysed in TF.js (its own
 * model and normalisation) and written to RUN/analysis/; an ONNX file on onnxruntime, written next to it
 * (MODEL-analysis/) unless --out says otherwise. Existing analyses are replaced only with --force.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { analyzeModel, type Analysis } from '../analyze/analyze.js';
import { DEFAULT_NOISE, parseNoise } from '../analyze/noise.js';
import { analysisFigures, ANALYSIS_FILE, RUN_ANALYSIS_DIR } from '../analyze/report.js';
import { onnxTaps } from '../analyze/taps-onnx.js';
import { tfjsTaps } from '../analyze/taps-tfjs.js';
import type { LayerMeanStats } from '../analyze/track.js';
import { checkSeverity, corruptMany, CORRUPTIONS, NumpyRandomState, type CorruptionName } from '../corrupt/index.js';
import { loadDataset } from '../data/sources.js';
import { SPLIT_SEED, stratifiedSubset } from '../data/split.js';
import { ActbenchError, fsError } from '../errors.js';
import { parseCorruptionList, prepareModel, readModelInfo } from '../eval/evaluate.js';
import type { EpName } from '../runtime/session.js';
import { describeBackend, selectBackend, type BackendRequest } from '../train/backend.js';
import { loadModel } from '../train/io.js';
import { readRunManifest, runPaths } from '../train/run-dir.js';
import { writeFileAtomic } from '../util/atomic.js';
import { lockDir } from '../util/lock.js';

export interface AnalyzeRequest {
  /** a run directory (actbench train) or an ONNX file */
  target: string;
  /** --data spec; default: the run's dataset (required for an ONNX file) */
  data?: string;
  images?: number;
  layers?: string[];
  /** "μ:σ,…" (default the paper's 0:0.5,1:0.5) */
  noise?: string;
  /** corruption names, or ['all'] */
  corruptions?: string[];
  severities?: number[];
  seed?: number;
  batch?: number;
  out?: string;
  force?: boolean;
  backend?: BackendRequest;
  ep?: EpName;
  log?: (line: string) => void;
  onBatch?: (done: number, total: number) => void;
}

export interface AnalyzeResult {
  dir: string;
  analysis: Analysis;
  files: string[];
  seconds: number;
}

export const DEFAULT_IMAGES = 1000;
/** seconds and machine load of the analysis, beside analysis.json */
export const TIMING_FILE = 'timing.json';

export function readTiming(dir: string): { seconds: number; loadavg: number[] } | null {
  const p = join(dir, TIMING_FILE);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as { seconds: number; loadavg: number[] };
  } catch {
    return null; // timing is informative only
  }
}

function corruptionsOf(list: string[] | undefined): CorruptionName[] {
  if (!list || list.length === 0 || (list.length === 1 && list[0] === 'none')) return [];
  if (list.length === 1 && list[0] === 'all') return [...CORRUPTIONS];
  return parseCorruptionList(list);
}

/** The epochs' activation-mean statistics a run recorded with --track-stats (empty when it did not). */
export function trackedStats(runDir: string): { epoch: number; stats: LayerMeanStats[] }[] {
  const p = runPaths(runDir).log;
  if (!existsSync(p)) return [];
  const out: { epoch: number; stats: LayerMeanStats[] }[] = [];
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as { epoch: number; activationStats?: LayerMeanStats[] };
    if (e.activationStats) out.push({ epoch: e.epoch, stats: e.activationStats });
  }
  return out;
}

export async function runAnalysis(req: AnalyzeRequest): Promise<AnalyzeResult> {
  const t0 = performance.now();
  const log = req.log ?? (() => {});
  const noise = parseNoise(req.noise ?? DEFAULT_NOISE);
  const corruptions = corruptionsOf(req.corruptions);
  const severities = (req.severities ?? [3]).map(checkSeverity);
  const seed = req.seed ?? 0;
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 32 - 1)) throw new ActbenchError('ANALYZE_BAD_OPTION', `seed must be an integer in [0, 2³²−1], got ${seed}`, { field: 'seed', exit: 2 });
  const batch = req.batch ?? 100;
  const images = req.images ?? DEFAULT_IMAGES;
  for (const [k, v] of [['images', images], ['batch', batch]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new ActbenchError('ANALYZE_BAD_OPTION', `--${k} must be a positive integer, got ${v}`, { field: k, exit: 2 });
  }
  if (!existsSync(req.target)) throw new ActbenchError('ANALYZE_NO_MODEL', `${req.target} not found: expected a run directory (actbench train) or an .onnx file`, { file: req.target });
  const isRun = statSync(req.target).isDirectory();
  if (!isRun && !req.target.endsWith('.onnx')) throw new ActbenchError('ANALYZE_NO_MODEL', `${req.target} is neither a run directory nor an .onnx file`, { file: req.target });
  const manifest = isRun ? readRunManifest(req.target) : null;
  const spec = req.data ?? manifest?.dataset.spec;
  if (!spec) throw new ActbenchError('ANALYZE_NO_DATA', `analysing ${req.target} needs --data (the images to feed it, e.g. --data mnist)`, { file: req.target, field: 'data', exit: 2 });
  const dir = req.out ?? (isRun ? join(req.target, RUN_ANALYSIS_DIR) : join(dirname(req.target), `${basename(req.target, '.onnx')}-analysis`));
  if (existsSync(join(dir, ANALYSIS_FILE)) && !req.force) {
    throw new ActbenchError('ANALYZE_EXISTS', `${join(dir, ANALYSIS_FILE)} exists: pass --force to replace it, or --out another directory`, { file: join(dir, ANALYSIS_FILE), field: 'out' });
  }

  const ds = loadDataset(spec);
  if (images > ds.test.labels.length) {
    throw new ActbenchError('ANALYZE_TOO_MANY_IMAGES', `--images ${images}: the test set of ${spec} has only ${ds.test.labels.length} images; ask for at most ${ds.test.labels.length}`, { field: 'images', exit: 2 });
  }
  const { set, indices, perClass } = stratifiedSubset(ds.test, images);
  const shape = { height: set.height, width: set.width, channels: set.channels };
  // every corruption accepts these images (size, channels) before any work: one image each
  for (const c of corruptions) corruptMany(set.images.subarray(0, set.height * set.width * set.channels), shape, c, severities[0], () => new NumpyRandomState(0));
  let src;
  if (manifest) {
    const [h, w, c] = manifest.dataset.inputShape;
    if (h !== shape.height || w !== shape.width || c !== shape.channels) {
      throw new ActbenchError('MODEL_INPUT_SHAPE', `${req.target} was trained on ${h}×${w}×${c} images, --data ${spec} has ${shape.height}×${shape.width}×${shape.channels}`, { file: req.target, field: 'data' });
    }
    const backend = await selectBackend(req.backend ?? 'auto', 'infer');
    log(describeBackend(backend));
    const model = await loadModel(req.target);
    src = tfjsTaps(model, manifest.normalisation, { layers: req.layers, describe: `${req.target} (TF.js, ${manifest.model}, ${manifest.activation.name})`, file: req.target });
  } else {
    const info = readModelInfo(req.target);
    const m = prepareModel(info, { ...shape, numClasses: set.numClasses, labelSets: [{ what: `the test subset of ${spec}`, labels: set.labels }] });
    // f is evaluated in TF.js; the CPU backend is enough for that
    await selectBackend(req.backend ?? 'auto', 'infer');
    src = await onnxTaps(m, { layers: req.layers, ep: req.ep });
  }
  log(`analyze ${src.describe}: ${src.taps.length} layer(s) (${src.taps.map((t) => t.name).join(', ')}) on ${set.labels.length} of ${ds.test.labels.length} test images of ${spec} (class-stratified, split seed ${SPLIT_SEED}); noise ${noise.map((s) => `${s.mean}:${s.std}`).join(', ')}; ${corruptions.length} corruptions × severities ${severities.join(',')}`);
  let analysis: Analysis;
  try {
    analysis = await analyzeModel(src, set, { noise, corruptions, severities, seed, batch, indices, onBatch: req.onBatch });
  } finally {
    await src.close();
  }
  const full = { ...analysis, data: { spec, source: ds.source, testImages: ds.test.labels.length, splitSeed: SPLIT_SEED, perClass: Object.fromEntries(perClass) } };
  const figures = await analysisFigures(analysis, isRun ? trackedStats(req.target) : []);
  const lock = lockDir(dir, 'analysis directory');
  const files: string[] = [];
  try {
    for (const [name, svg] of Object.entries(figures)) {
      writeFileAtomic(join(dir, name), svg);
      files.push(join(dir, name));
    }
    // how long it took, apart from the analysis (whose bytes depend only on the model, the data and the seed)
    writeFileAtomic(join(dir, TIMING_FILE), JSON.stringify({ seconds: (performance.now() - t0) / 1000, loadavg: loadavg(), finished: new Date().toISOString() }) + '\n');
    // the analysis last: its presence means the figures beside it are whole
    writeFileAtomic(join(dir, ANALYSIS_FILE), JSON.stringify(full) + '\n');
    files.push(join(dir, ANALYSIS_FILE));
  } catch (e) {
    throw e instanceof ActbenchError ? e : fsError(e, dir, 'write the analysis');
  } finally {
    lock.release();
  }
  return { dir, analysis: full, files, seconds: (performance.now() - t0) / 1000 };
}
