/**
 * One analysis of one model on one image subset, streamed in batches (only one batch of intermediate
 * tensors is alive at a time):
 *   - activation fluctuation ‖f(y + ε) − f(y)‖ and input fluctuation ‖ŷ − y‖ per sample, per layer and noise setting;
 *   - corruption fluctuation ‖a(corrupt(x)) − a(x)‖ / ‖a(x)‖ (and the same for the activation input y) per
 *     sample, per layer, corruption and severity;
 *   - the activation mean of every unit across samples (of a, and of y beside it);
 *   - the penultimate features projected to 2-D by PCA.
 * Every statistic is a record { layer, activation, setting, input: Summary, output: Summary }.
 */
import { activationLabel } from '../acts/label.js';
import type { ActivationDef } from '../acts/define.js';
import { corruptMany, deriveSeed, NumpyRandomState, type CorruptionName } from '../corrupt/index.js';
import type { ImageSet } from '../data/dataset.js';
import { activationFn, applyActivation, fluctuation, noiseLabel, type ActivationFn, type NoiseSetting } from './noise.js';
import { pca2, relativeChange, summarize, UnitMeans, type Summary } from './stats.js';
import type { TapSource } from './taps.js';

export type Setting =
  | { kind: 'noise'; label: string; mean: number; std: number }
  | { kind: 'corruption'; label: string; corruption: CorruptionName; severity: number }
  | { kind: 'mean'; label: string };

export interface AnalysisRecord {
  layer: string;
  activation: string;
  setting: Setting;
  /** noise: ‖ŷ − y‖; corruption: ‖y′ − y‖/‖y‖; mean: per-unit mean of y */
  input: Summary;
  /** noise: ‖f(ŷ) − f(y)‖; corruption: ‖a′ − a‖/‖a‖; mean: per-unit mean of a */
  output: Summary;
}

export interface LayerInfo {
  name: string;
  kind: string;
  activation: string;
  definition: ActivationDef | null;
  /** channels-last, without the batch */
  featureShape: number[];
  units: number;
  /**
   * max |f(y) − a| over the subset: f evaluated by actbench on the layer's real input against the layer's
   * real output (a check that f is the function the model computes); null where f is unknown
   */
  definitionCheck: { maxAbsDiff: number; maxAbsOutput: number } | null;
}

export interface Analysis {
  version: 1;
  model: string;
  images: number;
  seed: number;
  noise: NoiseSetting[];
  corruptions: CorruptionName[];
  severities: number[];
  layers: LayerInfo[];
  records: AnalysisRecord[];
  /** per record (same order): the per-sample (or per-unit) values behind its summaries, 6 significant digits */
  values: { input: number[]; output: number[] }[];
  /** penultimate features, PCA to 2-D: [x, y, label] per image */
  pca: { features: number; explained: [number, number]; points: [number, number, number][] } | null;
}

export interface AnalyzeOptions {
  noise: NoiseSetting[];
  corruptions: CorruptionName[];
  severities: number[];
  seed: number;
  batch: number;
  /** original indices of the subset's images in their test set (for per-image corruption seeds) */
  indices?: number[];
  onBatch?: (done: number, total: number) => void;
}

const round = (xs: ArrayLike<number>) => Array.from(xs, (v) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : v > 0 ? 1e308 : -1e308));

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export async function analyzeModel(src: TapSource, set: ImageSet, o: AnalyzeOptions): Promise<Analysis> {
  const { height, width, channels } = set;
  const px = height * width * channels;
  const n = set.labels.length;
  const taps = src.taps;
  const fns: (ActivationFn | null)[] = taps.map(() => null);
  const shapes: number[][] = [];
  const checks = taps.map((t) => (t.activation ? { maxAbsDiff: 0, maxAbsOutput: 0 } : null));
  const noiseParts = taps.map(() => o.noise.map(() => ({ input: [] as Float64Array[], output: [] as Float64Array[] })));
  const cells = o.corruptions.flatMap((c) => o.severities.map((s) => ({ corruption: c, severity: s })));
  const corrParts = taps.map(() => cells.map(() => ({ input: [] as Float64Array[], output: [] as Float64Array[] })));
  let meansIn: UnitMeans[] = [];
  let meansOut: UnitMeans[] = [];
  let penult: Float32Array | null = null;
  let penultD = 0;

  for (let start = 0; start < n; start += o.batch) {
    const end = Math.min(n, start + o.batch);
    const rows = end - start;
    const images = set.images.subarray(start * px, end * px);
    const clean = await src.run(images, rows, { height, width, channels });
    if (start === 0) {
      clean.shapes.forEach((s) => shapes.push(s));
      meansIn = shapes.map((s) => new UnitMeans(s.reduce((a, b) => a * b, 1)));
      meansOut = shapes.map((s) => new UnitMeans(s.reduce((a, b) => a * b, 1)));
      taps.forEach((t, k) => (fns[k] = t.activation ? activationFn(t.activation, t.params) : null));
      if (clean.penultimate) {
        penultD = clean.penultimate.d;
        penult = new Float32Array(n * penultD);
      }
    }
    if (penult && clean.penultimate) penult.set(clean.penultimate.values, start * penultD);
    taps.forEach((_, k) => {
      const d = meansIn[k].units;
      meansIn[k].add(clean.inputs[k], rows);
      meansOut[k].add(clean.outputs[k], rows);
      const fn = fns[k];
      if (!fn) return;
      const fy = applyActivation(fn, clean.inputs[k], rows, shapes[k]);
      const c = checks[k] as { maxAbsDiff: number; maxAbsOutput: number };
      for (let j = 0; j < rows * d; j++) {
        c.maxAbsDiff = Math.max(c.maxAbsDiff, Math.abs(fy[j] - clean.outputs[k][j]));
        c.maxAbsOutput = Math.max(c.maxAbsOutput, Math.abs(clean.outputs[k][j]));
      }
      o.noise.forEach((s, si) => {
        const f = fluctuation(fn, clean.inputs[k], fy, rows, shapes[k], s, { seed: o.seed, layer: k, setting: si, firstSample: start });
        noiseParts[k][si].input.push(f.input);
        noiseParts[k][si].output.push(f.output);
      });
    });
    for (const [ci, cell] of cells.entries()) {
      const bad = corruptMany(images, { height, width, channels }, cell.corruption, cell.severity, (i) => new NumpyRandomState(deriveSeed(o.seed, cell.corruption, cell.severity, o.indices ? o.indices[start + i] : start + i)));
      const corr = await src.run(bad, rows, { height, width, channels });
      taps.forEach((_, k) => {
        const d = meansIn[k].units;
        corrParts[k][ci].input.push(relativeChange(corr.inputs[k], clean.inputs[k], rows, d));
        corrParts[k][ci].output.push(relativeChange(corr.outputs[k], clean.outputs[k], rows, d));
      });
    }
    o.onBatch?.(end, n);
    // let progress output and signals run between batches
    await new Promise((r) => setImmediate(r));
  }

  const layers: LayerInfo[] = taps.map((t, k) => ({
    name: t.name,
    kind: t.kind,
    activation: t.activation ? activationLabel(t.activation) : 'unknown',
    definition: t.activation,
    featureShape: shapes[k],
    units: meansIn[k].units,
    definitionCheck: checks[k],
  }));
  const records: AnalysisRecord[] = [];
  const values: Analysis['values'] = [];
  const push = (k: number, setting: Setting, input: Float64Array, output: Float64Array) => {
    records.push({ layer: taps[k].name, activation: layers[k].activation, setting, input: summarize(input), output: summarize(output) });
    values.push({ input: round(input), output: round(output) });
  };
  taps.forEach((_, k) => {
    if (fns[k]) o.noise.forEach((s, si) => push(k, { kind: 'noise', label: noiseLabel(s), mean: s.mean, std: s.std }, concat(noiseParts[k][si].input), concat(noiseParts[k][si].output)));
    cells.forEach((c, ci) => push(k, { kind: 'corruption', label: `${c.corruption}/${c.severity}`, ...c }, concat(corrParts[k][ci].input), concat(corrParts[k][ci].output)));
    push(k, { kind: 'mean', label: 'activation mean per unit' }, meansIn[k].means(), meansOut[k].means());
  });
  let pca: Analysis['pca'] = null;
  if (penult && n >= 3) {
    const p = pca2(penult, n, penultD);
    pca = { features: penultD, explained: [Number(p.explained[0].toPrecision(6)), Number(p.explained[1].toPrecision(6))], points: Array.from({ length: n }, (_, k) => [Number(p.points[2 * k].toPrecision(6)), Number(p.points[2 * k + 1].toPrecision(6)), set.labels[k]]) };
  }
  return { version: 1, model: src.describe, images: n, seed: o.seed, noise: o.noise, corruptions: o.corruptions, severities: o.severities, layers, records, values, pca };
}
