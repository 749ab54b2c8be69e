/**
 * The numbers of an analysis: summary statistics of a sample, per-sample norms of differences, per-unit
 * means streamed over batches, and a 2-D PCA. Everything is float64 and deterministic.
 */

/** mean, std (population) and quantiles of a set of values; `count` excludes non-finite values, `nonFinite` counts them. */
export interface Summary {
  count: number;
  nonFinite: number;
  mean: number;
  std: number;
  min: number;
  q05: number;
  q25: number;
  median: number;
  q75: number;
  q95: number;
  max: number;
}

/** Linear-interpolation quantile of sorted values (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function summarize(values: ArrayLike<number>): Summary {
  const finite: number[] = [];
  for (let k = 0; k < values.length; k++) if (Number.isFinite(values[k])) finite.push(values[k]);
  const xs = Float64Array.from(finite).sort();
  const n = xs.length;
  let sum = 0;
  for (const v of xs) sum += v;
  const mean = n ? sum / n : NaN;
  let sq = 0;
  for (const v of xs) sq += (v - mean) ** 2;
  return {
    count: n,
    nonFinite: values.length - n,
    mean,
    std: n ? Math.sqrt(sq / n) : NaN,
    min: n ? xs[0] : NaN,
    q05: quantile(xs, 0.05),
    q25: quantile(xs, 0.25),
    median: quantile(xs, 0.5),
    q75: quantile(xs, 0.75),
    q95: quantile(xs, 0.95),
    max: n ? xs[n - 1] : NaN,
  };
}

/** Per sample k of n: ‖a_k − b_k‖₂ over the `d` features (row-major [n, d]), in float64. */
export function rowDiffNorms(a: ArrayLike<number>, b: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let j = k * d; j < (k + 1) * d; j++) {
      const v = a[j] - b[j];
      s += v * v;
    }
    out[k] = Math.sqrt(s);
  }
  return out;
}

/**
 * Per sample: ‖a′ − a‖₂ / ‖a‖₂ (the relative change of a layer under a corruption). A sample whose clean
 * activation is all zero gives 0 when the corrupted one is too, else +∞ (counted as non-finite, never dropped silently).
 */
export function relativeChange(changed: ArrayLike<number>, clean: ArrayLike<number>, n: number, d: number): Float64Array {
  const diff = rowDiffNorms(changed, clean, n, d);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let j = k * d; j < (k + 1) * d; j++) s += clean[j] * clean[j];
    const norm = Math.sqrt(s);
    out[k] = norm > 0 ? diff[k] / norm : diff[k] === 0 ? 0 : Infinity;
  }
  return out;
}

/** Streaming per-unit mean over samples (the paper's "activation mean" of one element across samples). */
export class UnitMeans {
  private readonly sum: Float64Array;
  private n = 0;
  constructor(readonly units: number) {
    this.sum = new Float64Array(units);
  }
  add(batch: ArrayLike<number>, rows: number): void {
    for (let k = 0; k < rows; k++) for (let j = 0; j < this.units; j++) this.sum[j] += batch[k * this.units + j];
    this.n += rows;
  }
  means(): Float64Array {
    return this.sum.map((s) => s / Math.max(1, this.n));
  }
}

function l2(v: Float64Array): number {
  let s = 0;
  for (const q of v) s += q * q;
  return Math.sqrt(s);
}

export interface Pca2 {
  /** [n, 2] projections onto the first two principal components */
  points: Float64Array;
  /** share of the total variance each component explains */
  explained: [number, number];
}

/**
 * The first two principal components of rows x ([n, d]) by power iteration with deflation on the centred
 * data (never forming the d×d covariance). Start vector and sign convention are fixed (the largest-magnitude
 * loading is positive), so the result is deterministic.
 */
export function pca2(x: Float64Array | Float32Array, n: number, d: number, iterations = 300): Pca2 {
  const mean = new Float64Array(d);
  for (let k = 0; k < n; k++) for (let j = 0; j < d; j++) mean[j] += x[k * d + j] / n;
  const c = new Float64Array(n * d);
  let total = 0;
  for (let k = 0; k < n; k++)
    for (let j = 0; j < d; j++) {
      const v = x[k * d + j] - mean[j];
      c[k * d + j] = v;
      total += v * v;
    }
  const comps: Float64Array[] = [];
  const variances: number[] = [];
  for (let p = 0; p < 2; p++) {
    let v = new Float64Array(d).map((_, j) => 1 + ((j * 7919) % 13) / 13);
    let lambda = 0;
    const xv = new Float64Array(n);
    for (let it = 0; it < iterations; it++) {
      // deflate against the components found so far
      for (const u of comps) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += u[j] * v[j];
        for (let j = 0; j < d; j++) v[j] -= dot * u[j];
      }
      let norm = l2(v);
      if (norm === 0) break;
      for (let j = 0; j < d; j++) v[j] /= norm;
      for (let k = 0; k < n; k++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += c[k * d + j] * v[j];
        xv[k] = s;
      }
      const w = new Float64Array(d);
      for (let k = 0; k < n; k++) for (let j = 0; j < d; j++) w[j] += c[k * d + j] * xv[k];
      norm = l2(w);
      lambda = norm;
      if (norm === 0) break;
      v = w.map((q) => q / norm);
    }
    for (const u of comps) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += u[j] * v[j];
      for (let j = 0; j < d; j++) v[j] -= dot * u[j];
    }
    const nv = l2(v) || 1;
    v = v.map((q) => q / nv);
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[big])) big = j;
    if (v[big] < 0) v = v.map((q) => -q);
    comps.push(v);
    variances.push(lambda);
  }
  const points = new Float64Array(n * 2);
  const explained: [number, number] = [0, 0];
  for (let p = 0; p < 2; p++) {
    let ss = 0;
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += c[k * d + j] * comps[p][j];
      points[k * 2 + p] = s;
      ss += s * s;
    }
    explained[p] = total > 0 ? ss / total : 0;
  }
  return { points, explained };
}
