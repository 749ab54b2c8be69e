/** Aggregation math and statistics on hand-made result sets. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CORRUPTIONS, type CorruptionName } from '../../src/corrupt/presets.js';
import { aggregate, ALEXNET_CLEAN_ERR, ALEXNET_ERR, ALEXNET_ERR_BY_SEVERITY, COMMON_15, corruptionErrors, corruptionErrorsVsAlexNet, meanEval, type ModelEval } from '../../src/eval/metrics.js';
import { significance, welchTTest, wilcoxonSignedRank } from '../../src/eval/stats.js';
import { mainTable, type ModelRun } from '../../src/report/robustness.js';

/** accuracy = base − 0.02·severity − 0.01·(index of the corruption) */
function model(base: number, clean = 0.95): ModelEval {
  return {
    clean: { top1: clean, top5: 0.99, n: 100 },
    cells: CORRUPTIONS.flatMap((c, k) => [1, 2, 3, 4, 5].map((s) => ({ corruption: c, severity: s, top1: base - 0.02 * s - 0.01 * k, top5: 0.99, n: 100 }))),
  };
}
const close = (a: number | null, b: number, tol = 1e-12) => a !== null && Math.abs(a - b) <= tol;

describe('aggregates', () => {
  const a = aggregate(model(0.9));
  it('per corruption: mean over severities', () => {
    // mean over s of 0.9 − 0.02 s − 0.01 k = 0.84 − 0.01 k
    CORRUPTIONS.forEach((c, k) => assert.ok(close(a.perCorruption[c]?.top1 ?? null, 0.84 - 0.01 * k)));
  });
  it('mean of 15 (RobustBench) and Total of 19 (LayerAct) differ as the corruption sets do', () => {
    const idx15 = COMMON_15.map((c) => CORRUPTIONS.indexOf(c));
    assert.ok(close(a.mean15, 0.84 - 0.01 * (idx15.reduce((x, y) => x + y, 0) / 15)));
    assert.ok(close(a.total19, 0.84 - 0.01 * 9)); // mean index 0..18 = 9
  });
  it('LayerAct categories: Noise 3, Blur 4, Digital 4, Weather 4, Extra 4', () => {
    const cat = (names: CorruptionName[]) => 0.84 - 0.01 * (names.map((c) => CORRUPTIONS.indexOf(c)).reduce((x, y) => x + y, 0) / names.length);
    assert.ok(close(a.categories.Noise, cat(['gaussian_noise', 'shot_noise', 'impulse_noise'])));
    assert.ok(close(a.categories.Digital, cat(['contrast', 'elastic_transform', 'pixelate', 'jpeg_compression'])));
    assert.ok(close(a.categories.Extra, cat(['speckle_noise', 'gaussian_blur', 'spatter', 'saturate'])));
  });
  it('severity-5-only means are their own, lower numbers', () => {
    assert.ok(close(a.severity5.total19, 0.8 - 0.01 * 9));
    assert.ok((a.severity5.mean15 as number) < (a.mean15 as number));
  });
  it('incomplete sets give no 15/19 mean rather than a misleading one', () => {
    const partial = aggregate({ clean: null, cells: model(0.9).cells.filter((c) => c.corruption !== 'fog') });
    assert.equal(partial.mean15, null);
    assert.equal(partial.total19, null);
    assert.equal(partial.categories.Weather, null);
    assert.ok(partial.categories.Noise !== null);
  });
});

describe('corruption errors', () => {
  it('CE and mCE against a baseline: Σ_s E / Σ_s E_base, mean over the 15', () => {
    const m = model(0.9, 0.95);
    const b = model(0.8, 0.9);
    const r = corruptionErrors(m, b, 'relu');
    // corruption k: E = 1 − (0.9 − 0.02 s − 0.01 k) summed over s = 5·(0.16 + 0.01 k); baseline 5·(0.26 + 0.01 k)
    COMMON_15.forEach((c) => {
      const k = CORRUPTIONS.indexOf(c);
      assert.ok(close(r.ce[c] ?? null, (0.16 + 0.01 * k) / (0.26 + 0.01 * k)));
      assert.ok(close(r.relativeCe[c] ?? null, (0.16 + 0.01 * k - 0.05) / (0.26 + 0.01 * k - 0.1)));
    });
    assert.ok(close(r.mCE, COMMON_15.reduce((s, c) => s + (r.ce[c] as number), 0) / 15));
    assert.equal(corruptionErrors(b, b).mCE, 1);
  });
  it('several seeds: the baseline is the mean of its seeds, so its own mCE averages to 100 %', () => {
    const seeds = [model(0.8, 0.9), model(0.76, 0.88), model(0.84, 0.92)];
    const base = meanEval(seeds);
    CORRUPTIONS.forEach((c, k) => assert.ok(close(base.cells.find((x) => x.corruption === c && x.severity === 3)?.top1 ?? null, 0.8 - 0.06 - 0.01 * k)));
    assert.ok(close(base.clean?.top1 ?? null, 0.9));
    const per = seeds.map((e) => corruptionErrors(e, base).mCE as number);
    // Σ_s E is linear in the seed, so the seeds' CEs per corruption average to exactly 1
    assert.ok(close(per.reduce((a, b) => a + b, 0) / 3, 1, 1e-12), `${per}`);
    assert.ok(per[1] > 1 && per[2] < 1, `${per}`);
    // a cell one seed lacks is left out, not averaged over fewer seeds
    const missing = { ...seeds[1], cells: seeds[1].cells.filter((x) => !(x.corruption === 'fog' && x.severity === 5)) };
    assert.equal(meanEval([seeds[0], missing]).cells.some((x) => x.corruption === 'fog' && x.severity === 5), false);
  });
  it('against AlexNet’s published ImageNet-C errors', () => {
    const m = model(0.5, 0.76);
    const r = corruptionErrorsVsAlexNet(m);
    const k = CORRUPTIONS.indexOf('fog');
    assert.ok(close(r.ce.fog ?? null, (1 - (0.44 - 0.01 * k)) / ALEXNET_ERR.fog));
    assert.ok(close(r.relativeCe.fog ?? null, (1 - (0.44 - 0.01 * k) - 0.24) / (ALEXNET_ERR.fog - ALEXNET_CLEAN_ERR)));
    assert.ok(r.mCE !== null && r.mCE > 0.5 && r.mCE < 1);
    assert.equal(r.partial, null);
    assert.ok(close(r.mCE, COMMON_15.reduce((a, c) => a + (r.ce[c] as number), 0) / 15));
  });
  it('AlexNet’s per-severity errors average to the published 15 numbers', () => {
    assert.deepEqual(Object.keys(ALEXNET_ERR_BY_SEVERITY), [...COMMON_15]);
    for (const c of COMMON_15) assert.ok(close(ALEXNET_ERR_BY_SEVERITY[c].reduce((a, b) => a + b, 0) / 5, ALEXNET_ERR[c], 1e-9), c);
  });
  it('missing severities: each CE over the severities present (AlexNet at the same ones); the mCE only as partial', () => {
    const full = model(0.5, 0.76);
    // fog has severities 1 and 3 only, gaussian_noise all five, the other 13 none
    const m: ModelEval = { clean: full.clean, cells: full.cells.filter((x) => x.corruption === 'gaussian_noise' || (x.corruption === 'fog' && (x.severity === 1 || x.severity === 3))) };
    const r = corruptionErrorsVsAlexNet(m);
    const k = CORRUPTIONS.indexOf('fog');
    const e = (s: number) => 1 - (0.5 - 0.02 * s - 0.01 * k);
    const fog = ALEXNET_ERR_BY_SEVERITY.fog;
    assert.ok(close(r.ce.fog ?? null, (e(1) + e(3)) / (fog[0] + fog[2])));
    assert.ok(close(r.relativeCe.fog ?? null, (e(1) + e(3) - 2 * 0.24) / (fog[0] + fog[2] - 2 * ALEXNET_CLEAN_ERR)));
    assert.deepEqual(r.severities, { gaussian_noise: [1, 2, 3, 4, 5], fog: [1, 3] });
    assert.equal(r.mCE, null, 'not the published mCE');
    assert.equal(r.relativeMCE, null);
    assert.deepEqual(r.partial?.corruptions, ['gaussian_noise', 'fog']);
    assert.ok(close(r.partial?.mCE ?? null, ((r.ce.gaussian_noise as number) + (r.ce.fog as number)) / 2));
    // one severity short of complete is still partial
    const almost = corruptionErrorsVsAlexNet({ clean: full.clean, cells: full.cells.filter((x) => !(x.corruption === 'snow' && x.severity === 2)) });
    assert.equal(almost.mCE, null);
    assert.equal(almost.partial?.corruptions.length, 15);
    assert.equal(corruptionErrorsVsAlexNet({ clean: null, cells: [] }).partial, null);
  });
});

describe('statistics', () => {
  it('Welch’s t-test matches scipy.stats.ttest_ind(equal_var=False)', () => {
    const r = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
    assert.ok(close(r.t, -1.8973665961010275, 1e-12));
    assert.ok(close(r.df, 5.882352941176471, 1e-9));
    assert.ok(close(r.p, 0.10753119493062718, 1e-9), `p ${r.p}`);
  });
  it('Wilcoxon signed-rank: exact two-sided p (scipy.stats.wilcoxon)', () => {
    const a = [0.95, 0.91, 0.88, 0.93, 0.9, 0.86, 0.97, 0.92];
    const b = [0.9, 0.905, 0.8, 0.915, 0.93, 0.835, 0.901, 0.875];
    const r = wilcoxonSignedRank(a, b);
    assert.equal(r.w, 4); // scipy: statistic=4.0, pvalue=0.0546875
    assert.ok(close(r.p, 0.0546875, 1e-12), `p ${r.p}`);
  });
  it('significance marks', () => {
    assert.deepEqual([0.2, 0.05, 0.009, 0.0004].map(significance), ['', '*', '**', '***']);
  });
  it('the main table shows mean ± std across seeds and marks a significant improvement over the baseline', () => {
    const run = (act: string, seed: number, base: number): ModelRun => {
      const e = model(base);
      return { activation: act, seed, modelHash: `${act}${seed}`, model: '', dataset: 'd', eval: e, agg: aggregate(e), fidelity: null, provider: 'cpu', nonFinite: 0, predictions: 100 };
    };
    const runs = [run('relu', 1, 0.8), run('relu', 2, 0.81), run('relu', 3, 0.79), run('la_silu', 1, 0.9), run('la_silu', 2, 0.91), run('la_silu', 3, 0.89)];
    const t = mainTable(runs, 'relu');
    const la = t.rows.find((r) => r[0] === 'la_silu') as string[];
    const total = la[t.header.indexOf('Total (19)')];
    assert.match(total, /^75\.00 ± 1\.00\*\*\*$/);
    assert.equal(t.rows.find((r) => r[0] === 'relu (baseline)')?.[1], '3');
  });
});
