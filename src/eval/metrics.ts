/**
 * Robustness aggregates (corruptions.md §7):
 * - per corruption: mean accuracy over its severities (= accuracy on the whole CIFAR-C file);
 * - mean over the 15 common corruptions (RobustBench / AugMix convention), Total over all 19 (LayerAct);
 * - LayerAct's categories Noise 3 / Blur 4 / Digital 4 / Weather 4 / Extra 4;
 * - severity-5-only means, labelled as such (a different, lower number);
 * - CE_c = Σ_s E_{s,c} / Σ_s E^{base}_{s,c}, mCE over the 15, relative CE against (E − E_clean), either
 *   against a baseline model measured the same way or against AlexNet's published ImageNet-C errors.
 */
import { CATEGORIES, CORRUPTIONS, type CorruptionName } from '../corrupt/presets.js';

export interface Accuracy {
  top1: number;
  top5: number;
  n: number;
}

export interface CorruptionCell extends Accuracy {
  corruption: CorruptionName;
  severity: number;
}

export interface ModelEval {
  clean: Accuracy | null;
  cells: CorruptionCell[];
}

/** LayerAct's Table 2 grouping (Noise, Blur, Digital, Weather, Extra) */
export const LAYERACT_CATEGORIES: Record<'Noise' | 'Blur' | 'Digital' | 'Weather' | 'Extra', readonly CorruptionName[]> = {
  Noise: CATEGORIES.noise,
  Blur: CATEGORIES.blur,
  Digital: CATEGORIES.digital,
  Weather: CATEGORIES.weather,
  Extra: CATEGORIES.extra,
};
export const COMMON_15: readonly CorruptionName[] = CORRUPTIONS.filter((c) => !CATEGORIES.extra.includes(c));

/** AlexNet's mean top-1 error over the 5 severities on ImageNet-C (hendrycks/robustness; augmix imagenet.py). */
export const ALEXNET_ERR: Readonly<Record<string, number>> = {
  gaussian_noise: 0.886428, shot_noise: 0.894468, impulse_noise: 0.92264, defocus_blur: 0.81988, glass_blur: 0.826268,
  motion_blur: 0.785948, zoom_blur: 0.79836, snow: 0.866816, frost: 0.826572, fog: 0.819324, brightness: 0.564592,
  contrast: 0.853204, elastic_transform: 0.646056, pixelate: 0.71784, jpeg_compression: 0.6065,
};
/** AlexNet clean top-1 error on ImageNet (torchvision AlexNet, ≈ 43.5 %), for relative mCE */
export const ALEXNET_CLEAN_ERR = 0.4348;

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

export interface Aggregates {
  clean: Accuracy | null;
  /** mean top-1 over the severities present, per corruption */
  perCorruption: Partial<Record<CorruptionName, { top1: number; top5: number; severities: number[] }>>;
  /** top-1 per corruption and severity */
  grid: Partial<Record<CorruptionName, Record<number, number>>>;
  mean15: number | null;
  total19: number | null;
  categories: Record<keyof typeof LAYERACT_CATEGORIES, number | null>;
  /** the same means over severity-5 cells only */
  severity5: { mean15: number | null; total19: number | null };
  severitiesUsed: number[];
}

/** Means over a set of corruptions are reported only when every member is present. */
function meanOf(names: readonly CorruptionName[], pick: (c: CorruptionName) => number | undefined): number | null {
  const vals = names.map(pick);
  return vals.every((v) => v !== undefined) ? mean(vals as number[]) : null;
}

export function aggregate(e: ModelEval): Aggregates {
  const perCorruption: Aggregates['perCorruption'] = {};
  const grid: Aggregates['grid'] = {};
  for (const c of CORRUPTIONS) {
    const cells = e.cells.filter((x) => x.corruption === c);
    if (!cells.length) continue;
    // every severity weighs the same (equal image counts per severity in CIFAR-C / ImageNet-C)
    perCorruption[c] = { top1: mean(cells.map((x) => x.top1)), top5: mean(cells.map((x) => x.top5)), severities: cells.map((x) => x.severity).sort() };
    grid[c] = Object.fromEntries(cells.map((x) => [x.severity, x.top1]));
  }
  const s5 = (c: CorruptionName) => grid[c]?.[5];
  const all = (c: CorruptionName) => perCorruption[c]?.top1;
  return {
    clean: e.clean,
    perCorruption,
    grid,
    mean15: meanOf(COMMON_15, all),
    total19: meanOf(CORRUPTIONS, all),
    categories: Object.fromEntries(Object.entries(LAYERACT_CATEGORIES).map(([k, v]) => [k, meanOf(v, all)])) as Aggregates['categories'],
    severity5: { mean15: meanOf(COMMON_15, s5), total19: meanOf(CORRUPTIONS, s5) },
    severitiesUsed: [...new Set(e.cells.map((x) => x.severity))].sort(),
  };
}

/**
 * The cell-wise mean of several evaluations of one model family (its seeds) on the same images: the baseline
 * of CE/mCE with several seeds, so the baseline's own mCE is 100 % and no single seed stands for the family.
 * Only cells every evaluation has are kept.
 */
export function meanEval(evals: readonly ModelEval[]): ModelEval {
  if (evals.length === 1) return evals[0];
  const avg = (xs: Accuracy[]): Accuracy => ({ top1: mean(xs.map((x) => x.top1)), top5: mean(xs.map((x) => x.top5)), n: xs[0].n });
  const cleans = evals.map((e) => e.clean);
  const clean = cleans.every((c): c is Accuracy => c !== null) ? avg(cleans) : null;
  const cells: CorruptionCell[] = [];
  for (const c of evals[0].cells) {
    const same = evals.map((e) => e.cells.find((x) => x.corruption === c.corruption && x.severity === c.severity));
    if (same.every((x): x is CorruptionCell => x !== undefined)) cells.push({ ...avg(same), corruption: c.corruption, severity: c.severity });
  }
  return { clean, cells };
}

export interface CorruptionErrors {
  /** CE_c per corruption (fraction; ×100 for %) */
  ce: Partial<Record<CorruptionName, number>>;
  mCE: number | null;
  relativeCe: Partial<Record<CorruptionName, number>>;
  relativeMCE: number | null;
  against: string;
}

/** CE and mCE of `model` against a baseline measured the same way (same severities and images). */
export function corruptionErrors(model: ModelEval, baseline: ModelEval, against = 'baseline'): CorruptionErrors {
  const ce: CorruptionErrors['ce'] = {};
  const rel: CorruptionErrors['relativeCe'] = {};
  const eClean = model.clean ? 1 - model.clean.top1 : null;
  const bClean = baseline.clean ? 1 - baseline.clean.top1 : null;
  for (const c of COMMON_15) {
    const m = model.cells.filter((x) => x.corruption === c);
    const b = baseline.cells.filter((x) => x.corruption === c);
    const sev = m.map((x) => x.severity).filter((s) => b.some((y) => y.severity === s));
    if (!sev.length) continue;
    const em = sev.reduce((a, s) => a + (1 - (m.find((x) => x.severity === s) as CorruptionCell).top1), 0);
    const eb = sev.reduce((a, s) => a + (1 - (b.find((x) => x.severity === s) as CorruptionCell).top1), 0);
    ce[c] = em / eb;
    if (eClean !== null && bClean !== null) rel[c] = (em - sev.length * eClean) / (eb - sev.length * bClean);
  }
  const complete = (o: Partial<Record<CorruptionName, number>>) => (COMMON_15.every((c) => o[c] !== undefined) ? mean(COMMON_15.map((c) => o[c] as number)) : null);
  return { ce, mCE: complete(ce), relativeCe: rel, relativeMCE: complete(rel), against };
}

/** CE against AlexNet's published ImageNet-C errors (all 5 severities required per corruption). */
export function corruptionErrorsVsAlexNet(model: ModelEval): CorruptionErrors {
  const ce: CorruptionErrors['ce'] = {};
  const rel: CorruptionErrors['relativeCe'] = {};
  const eClean = model.clean ? 1 - model.clean.top1 : null;
  for (const c of COMMON_15) {
    const cells = model.cells.filter((x) => x.corruption === c);
    if (cells.length !== 5) continue;
    const err = mean(cells.map((x) => 1 - x.top1));
    ce[c] = err / ALEXNET_ERR[c];
    if (eClean !== null) rel[c] = (err - eClean) / (ALEXNET_ERR[c] - ALEXNET_CLEAN_ERR);
  }
  const complete = (o: Partial<Record<CorruptionName, number>>) => (COMMON_15.every((c) => o[c] !== undefined) ? mean(COMMON_15.map((c) => o[c] as number)) : null);
  return { ce, mCE: complete(ce), relativeCe: rel, relativeMCE: complete(rel), against: 'AlexNet (ImageNet-C, published errors)' };
}
