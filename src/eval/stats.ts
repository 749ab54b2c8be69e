/** Statistics across seeds: mean ± sample std, Welch's t-test, Wilcoxon signed-rank, significance marks. */
import jStat from 'jstat';
import { mean, sampleStandardDeviation } from 'simple-statistics';

export function meanStd(xs: number[]): { mean: number; std: number; n: number } {
  return { mean: mean(xs), std: xs.length > 1 ? sampleStandardDeviation(xs) : 0, n: xs.length };
}

/** Welch's unequal-variance t-test; p two-sided and one-sided (a > b, as PANGAEA reports). */
export function welchTTest(a: number[], b: number[]): { t: number; df: number; p: number; pGreater: number } {
  if (a.length < 2 || b.length < 2) return { t: NaN, df: NaN, p: NaN, pGreater: NaN };
  const va = sampleStandardDeviation(a) ** 2 / a.length;
  const vb = sampleStandardDeviation(b) ** 2 / b.length;
  const t = (mean(a) - mean(b)) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  if (!Number.isFinite(t)) return { t, df, p: t === 0 || Number.isNaN(t) ? 1 : 0, pGreater: t > 0 ? 0 : 1 };
  const cdf = jStat.studentt.cdf(t, df) as number;
  return { t, df, p: 2 * Math.min(cdf, 1 - cdf), pGreater: 1 - cdf };
}

/** Wilcoxon signed-rank test on paired samples (two-sided; exact for n ≤ 25 without ties, else normal approximation). */
export function wilcoxonSignedRank(a: number[], b: number[]): { w: number; p: number; n: number } {
  const d = a.map((x, i) => x - b[i]).filter((x) => x !== 0);
  const n = d.length;
  if (n === 0) return { w: 0, p: 1, n };
  const order = d.map((x, i) => ({ abs: Math.abs(x), i })).sort((p, q) => p.abs - q.abs);
  const ranks = new Array<number>(n);
  let ties = false;
  for (let k = 0; k < n; ) {
    let j = k;
    while (j + 1 < n && order[j + 1].abs === order[k].abs) j++;
    if (j > k) ties = true;
    for (let m = k; m <= j; m++) ranks[order[m].i] = (k + j) / 2 + 1;
    k = j + 1;
  }
  const wPlus = d.reduce((s, x, i) => s + (x > 0 ? ranks[i] : 0), 0);
  const w = Math.min(wPlus, (n * (n + 1)) / 2 - wPlus);
  if (n <= 25 && !ties) {
    // exact null distribution of W+ by dynamic programming over ranks 1..n
    const max = (n * (n + 1)) / 2;
    let dist = new Float64Array(max + 1);
    dist[0] = 1;
    for (let r = 1; r <= n; r++) {
      const next = new Float64Array(max + 1);
      for (let s = 0; s <= max; s++) if (dist[s]) {
        next[s] += dist[s];
        next[s + r] += dist[s];
      }
      dist = next;
    }
    const total = 2 ** n;
    let tail = 0;
    for (let s = 0; s <= w; s++) tail += dist[s];
    return { w, p: Math.min(1, (2 * tail) / total), n };
  }
  const mu = (n * (n + 1)) / 4;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24);
  const z = (w - mu) / sigma;
  return { w, p: Math.min(1, 2 * (jStat.normal.cdf(z, 0, 1) as number)), n };
}

export function significance(p: number): string {
  if (!(p <= 0.05)) return '';
  return p <= 0.001 ? '***' : p <= 0.01 ? '**' : '*';
}
