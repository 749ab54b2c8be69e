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

/**
 * AlexNet's top-1 error on ImageNet-C per corruption and severity 1–5 (Hendrycks & Dietterich 2019; the
 * table timm ships as imagenetc_alexnet_error_rates_list). Their means are ALEXNET_ERR, the 15 numbers of
 * hendrycks/robustness and AugMix's imagenet.py (checked equal in test/eval/metrics.test.ts).
 */
export const ALEXNET_ERR_BY_SEVERITY: Readonly<Record<string, readonly [number, number, number, number, number]>> = {
  gaussian_noise: [0.69528, 0.82542, 0.93554, 0.98138, 0.99452],
  shot_noise: [0.71224, 0.85108, 0.93574, 0.98182, 0.99146],
  impulse_noise: [0.78374, 0.89808, 0.9487, 0.9872, 0.99548],
  defocus_blur: [0.65624, 0.73202, 0.85036, 0.91364, 0.94714],
  glass_blur: [0.64308, 0.75054, 0.88806, 0.91622, 0.93344],
  motion_blur: [0.5843, 0.70048, 0.82108, 0.8975, 0.92638],
  zoom_blur: [0.70008, 0.76992, 0.80784, 0.84198, 0.87198],
  snow: [0.71726, 0.88392, 0.86468, 0.9187, 0.94952],
  frost: [0.6139, 0.79734, 0.8879, 0.89942, 0.9343],
  fog: [0.67474, 0.7605, 0.84378, 0.8726, 0.945],
  brightness: [0.4514, 0.48502, 0.54048, 0.62166, 0.7244],
  contrast: [0.64548, 0.7615, 0.88874, 0.9776, 0.9927],
  elastic_transform: [0.52596, 0.70116, 0.55686, 0.64076, 0.80554],
  pixelate: [0.52218, 0.5462, 0.73728, 0.87092, 0.91262],
  jpeg_compression: [0.51002, 0.54718, 0.57294, 0.65458, 0.74778],
};
/** AlexNet's mean top-1 error over the 5 severities on ImageNet-C (hendrycks/robustness; augmix imagenet.py). */
export const ALEXNET_ERR: Readonly<Record<string, number>> = {
  gaussian_noise: 0.886428, shot_noise: 0.894468, impulse_noise: 0.92264, defocus_blur: 0.81988, glass_blur: 0.826268,
  motion_blur: 0.785948, zoom_blur: 0.79836, snow: 0.866816, frost: 0.826572, fog: 0.819324, brightness: 0.564592,
  contrast: 0.853204, elastic_transform: 0.646056, pixelate: 0.71784, jpeg_compression: 0.6065,
};
/** AlexNet clean top-1 error on ImageNet (torchvision's AlexNet, 56.52 % top-1; the paper's 43.5 %), for relative mCE */
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

export interface AlexNetErrors extends CorruptionErrors {
  /** severities each corruption's CE is over (all five unless the tree lacks some) */
  severities: Partial<Record<CorruptionName, number[]>>;
  /**
   * when not every one of the 15 has all 5 severities: mCE (and relative mCE) over what was measured, each
   * CE over its own severities — AlexNet-normalised, but not comparable with published mCE; `mCE` is then null
   */
  partial: { mCE: number; relativeMCE: number | null; corruptions: CorruptionName[] } | null;
}

/**
 * CE against AlexNet's published ImageNet-C errors: CE_c = Σ_s E_{s,c} / Σ_s E^AlexNet_{s,c} over the
 * severities measured (per-severity AlexNet errors, so a missing severity leaves the others' weights
 * right). The mCE is the published one only with all 15 corruptions × 5 severities; otherwise it is null
 * and `partial` holds the mean over what exists.
 */
export function corruptionErrorsVsAlexNet(model: ModelEval): AlexNetErrors {
  const ce: CorruptionErrors['ce'] = {};
  const rel: CorruptionErrors['relativeCe'] = {};
  const severities: AlexNetErrors['severities'] = {};
  const eClean = model.clean ? 1 - model.clean.top1 : null;
  for (const c of COMMON_15) {
    const cells = model.cells.filter((x) => x.corruption === c && Number.isInteger(x.severity) && x.severity >= 1 && x.severity <= 5);
    if (!cells.length) continue;
    const base = ALEXNET_ERR_BY_SEVERITY[c];
    const err = cells.reduce((a, x) => a + (1 - x.top1), 0);
    const alex = cells.reduce((a, x) => a + base[x.severity - 1], 0);
    ce[c] = err / alex;
    if (eClean !== null) rel[c] = (err - cells.length * eClean) / (alex - cells.length * ALEXNET_CLEAN_ERR);
    severities[c] = cells.map((x) => x.severity).sort((x, y) => x - y);
  }
  const complete = COMMON_15.every((c) => severities[c]?.length === 5);
  const measured = COMMON_15.filter((c) => ce[c] !== undefined);
  const over = (o: Partial<Record<CorruptionName, number>>) => mean(measured.map((c) => o[c] as number));
  const hasRel = measured.every((c) => rel[c] !== undefined);
  return {
    ce, relativeCe: rel, severities, against: 'AlexNet (ImageNet-C, published errors)',
    mCE: complete ? over(ce) : null,
    relativeMCE: complete && hasRel ? over(rel) : null,
    partial: !complete && measured.length ? { mCE: over(ce), relativeMCE: hasRel ? over(rel) : null, corruptions: measured } : null,
  };
}
