/** The decision section's Pareto logic on hand-made records: dominance, noise, one seed, one activation, missing speed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkWeights, decide, decisionMarkdown, decisionRows } from '../../src/report/decision.js';
import { collectRuns } from '../../src/report/robustness.js';
import type { BenchRecord } from '../../src/results/store.js';
import { records, type Model } from './records.js';

function decision(models: Model[], o: Parameters<typeof decide>[1] = {}) {
  const recs = records(models);
  const rows = decisionRows(collectRuns(recs), recs.filter((r): r is BenchRecord => r.kind === 'bench'), { baseline: models[0].activation, paramsOf: () => 1234 });
  return decide(rows, o);
}

const seeds = (activation: string, clean: number[], corrupted: number[], latency: number[]): Model[] =>
  clean.map((c, k) => ({ activation, seed: k, clean: c, corrupted: corrupted[k], latency: latency[k] }));

describe('decision: Pareto set over (clean ↑, corruption ↑, latency ↓)', () => {
  it('one seed: dominance by the means, the dominator named, the set marked indicative', () => {
    const d = decision([
      { activation: 'a', seed: 1, clean: 0.9, corrupted: 0.8, latency: 1 },
      { activation: 'b', seed: 1, clean: 0.85, corrupted: 0.75, latency: 2 },
      { activation: 'c', seed: 1, clean: 0.95, corrupted: 0.7, latency: 3 },
    ]);
    assert.equal(d.tested, false);
    assert.deepEqual(d.front, ['a', 'c']);
    assert.deepEqual(d.dominatedBy.b, [{ by: 'a', withinNoise: false }]);
    assert.deepEqual(d.dominatedBy.c, []);
    assert.equal(d.best.clean?.activation, 'c');
    assert.equal(d.best.robust?.activation, 'a');
    assert.equal(d.best.fastest?.activation, 'a');
    const md = decisionMarkdown(d, { baseline: 'a', batch: 32 });
    assert.match(md, /\*\*Indicative\*\*: one seed per activation/);
    assert.match(md, /\| b \| 1 \| 85\.00 \|[^\n]*\| dominated by a \|/);
    assert.match(md, /Pareto set over \(clean ↑, corruption ↑, latency ↓\): a, c\./);
    assert.match(md, /- Best clean: c, 95\.00 % top-1\./);
    assert.match(md, /- Fastest: a, latency p50 1\.000 ms at batch 1\./);
    // the row's numbers: mean of 15 = corrupted − 0.03 (severities) + 0.001 × mean index of the 15, mCE vs itself 100
    const a = d.rows.find((r) => r.activation === 'a');
    assert.ok(a && Math.abs(a.robust[0] - (0.8 - 0.03 + 0.001 * 7)) < 1e-12);
    assert.deepEqual(a?.mce, [1]);
    assert.deepEqual(a?.params, [1234]);
    assert.deepEqual(a?.latency, [1]);
    assert.equal(a?.throughput[0], 32000);
  });

  it('several seeds: a domination counts only beyond noise (Welch), else "within noise" and both stay in the set', () => {
    const d = decision([
      ...seeds('a', [0.90, 0.92, 0.91], [0.80, 0.82, 0.81], [1.0, 1.1, 1.05]),
      // b: means below a on every axis, but by far less than the seed spread
      ...seeds('b', [0.895, 0.925, 0.905], [0.795, 0.825, 0.805], [1.01, 1.11, 1.06]),
      // c: clearly worse on clean and corruption beyond noise
      ...seeds('c', [0.80, 0.801, 0.802], [0.70, 0.701, 0.702], [1.0, 1.1, 1.05]),
    ]);
    assert.equal(d.tested, true);
    assert.deepEqual(d.front, ["a", "b"], JSON.stringify(d.dominatedBy));
    assert.deepEqual(d.dominatedBy.b, [{ by: 'a', withinNoise: true }]);
    assert.deepEqual(d.dominatedBy.c.filter((x) => !x.withinNoise).map((x) => x.by).sort(), ['a']); // b is slower than c in the mean: no domination
    assert.deepEqual(d.best.clean?.withinNoise, ['b']);
    const md = decisionMarkdown(d, {});
    assert.match(md, /\| b \| 3 \|[^\n]*\*\*Pareto\*\* \(dominated by a only within noise\) \|/);
    assert.match(md, /Welch's one-sided t-test across seeds, p ≤ 0\.05/);
    assert.match(md, /\| a \| 3 \| 91\.00 ± 1\.00 \|/);
  });

  it('equal means on every axis: neither dominates', () => {
    const d = decision([
      { activation: 'a', seed: 1, clean: 0.9, corrupted: 0.8, latency: 1 },
      { activation: 'b', seed: 1, clean: 0.9, corrupted: 0.8, latency: 1 },
    ]);
    assert.deepEqual(d.front, ["a", "b"], JSON.stringify(d.dominatedBy));
  });

  it('one activation: it is the whole set and every leader', () => {
    const d = decision([{ activation: 'only', seed: 0, clean: 0.5, corrupted: 0.4, latency: 3 }]);
    assert.deepEqual(d.front, ['only']);
    assert.equal(d.best.clean?.activation, 'only');
    assert.equal(d.best.fastest?.activation, 'only');
  });

  it('missing speed records: no front, the section names what is missing', () => {
    const d = decision([
      { activation: 'a', seed: 1, clean: 0.9, corrupted: 0.8, latency: 1 },
      { activation: 'b', seed: 1, clean: 0.8, corrupted: 0.7 },
    ]);
    assert.equal(d.front, null);
    assert.equal(d.missing.length, 1);
    assert.match(d.missing[0], /^latency .*no bench record at batch 1 .* for b$/);
    const md = decisionMarkdown(d);
    assert.match(md, /\*\*No Pareto set\*\*/);
    assert.match(md, /- Fastest: unknown/);
    assert.doesNotMatch(md, /\*\*Pareto\*\*|dominated by/);
    assert.equal(d.best.clean?.activation, 'a');
  });

  it('a stated trade-off picks one activation and says the rule', () => {
    const ms: Model[] = [
      { activation: 'acc', seed: 1, clean: 0.95, corrupted: 0.7, latency: 3 },
      { activation: 'rob', seed: 1, clean: 0.85, corrupted: 0.85, latency: 2 },
      { activation: 'fast', seed: 1, clean: 0.8, corrupted: 0.6, latency: 0.5 },
    ];
    assert.equal(decision(ms, { preference: { kind: 'prefer', axis: 'speed' } }).pick?.activation, 'fast');
    assert.equal(decision(ms, { preference: { kind: 'prefer', axis: 'clean' } }).pick?.activation, 'acc');
    const w = decision(ms, { preference: { kind: 'weights', weights: { clean: 1, robust: 2 } } });
    // scaled: acc clean 1 robust 0.4 → 0.6; rob clean 1/3 robust 1 → 0.778; fast 0, 0 → 0
    assert.equal(w.pick?.activation, 'rob');
    assert.ok(Math.abs((w.pick?.scores.rob ?? 0) - (1 / 3 + 2) / 3) < 1e-12);
    assert.match(decisionMarkdown(w), /--weights clean=1,robust=2: score = Σ w·s \/ Σ w[^\n]*\*\*rob\*\*/);
    // the speed preference cannot be decided without speed records
    const none = decision([ms[0], { ...ms[1], latency: undefined }], { preference: { kind: 'prefer', axis: 'speed' } });
    assert.equal(none.pick, null);
    assert.match(decisionMarkdown(none), /cannot be decided/);
  });

  it('--weights: names from the three axes, weights ≥ 0, one > 0', () => {
    assert.deepEqual(checkWeights({ clean: 1, latency: 0 }), { clean: 1, latency: 0 });
    assert.throws(() => checkWeights({ speed: 1 }), { code: 'REPORT_BAD_WEIGHTS' });
    assert.throws(() => checkWeights({ clean: 0 }), { code: 'REPORT_BAD_WEIGHTS' });
    assert.throws(() => checkWeights({ clean: -1 }), { code: 'REPORT_BAD_WEIGHTS' });
  });
});
