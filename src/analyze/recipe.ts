/**
 * `actbench analyze --recipe layeract-mnist`: LayerAct's "Experimental Analysis on MNIST" as one command.
 * Trains the paper's network (mlp512: one hidden layer of 512 units, no normalisation) on clean MNIST or
 * Fashion-MNIST with relu, leaky_relu, silu, hard_silu, la_silu and la_hardsilu (SGD momentum 0.9, weight
 * decay 1e-4, lr 0.01 ÷10 at 50 % and 75 % of the epochs, as the paper's appendix; fewer epochs by default),
 * with --track-stats, analyses every run, and writes <out>/report.md with the table, the figures and one
 * sentence per claim of the paper saying whether this run reproduces it. Resumable: finished runs and
 * analyses with the same settings are kept, an unfinished training continues from its checkpoint.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { resolveActivation } from '../acts/define.js';
import { readTiming, runAnalysis, trackedStats } from '../api/analyze.js';
import { runTraining } from '../api/train.js';
import { machineInfo, machineLine } from '../bench/machine.js';
import { ActbenchError } from '../errors.js';
import type { BackendRequest } from '../train/backend.js';
import { inspectRunDir } from '../train/run-dir.js';
import { writeFileAtomic } from '../util/atomic.js';
import { lockDir } from '../util/lock.js';
import { assertSameRun } from '../util/same-run.js';
import type { Analysis, AnalysisRecord } from './analyze.js';
import { epochSvg, densitySvg, evenly, heatmapSvg, scatterSvg } from './figures.js';
import { DEFAULT_NOISE } from './noise.js';
import { meanStd, readAnalysis, RUN_ANALYSIS_DIR } from './report.js';

export const RECIPES = ['layeract-mnist'] as const;
export type RecipeName = (typeof RECIPES)[number];

export const LAYERACT_ACTS = ['relu', 'leaky_relu', 'silu', 'hard_silu', 'la_silu', 'la_hardsilu'] as const;
const isLayerAct = (a: string) => a.startsWith('la_');

export interface LayerActMnistOptions {
  out?: string;
  data?: string;
  seeds?: number[];
  epochs?: number;
  images?: number;
  noise?: string;
  /** corruption names or ['all'] / ['none'] (default: all 19) */
  corruptions?: string[];
  severities?: number[];
  batchSize?: number;
  backend?: BackendRequest;
  log?: (line: string) => void;
}

export const LAYERACT_DEFAULTS = { out: 'reports/analyze-layeract-mnist', data: 'mnist', seeds: [0], epochs: 40, images: 1000, batchSize: 128 } as const;

interface RunResult {
  act: string;
  seed: number;
  dir: string;
  testAcc: number | null;
  trainSeconds: number;
  analyzeSeconds: number;
  /** load average when the analysis finished */
  load: number[];
  dataset: string;
  analysis: Analysis;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const fmt = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '–');

export async function runLayerActMnist(o: LayerActMnistOptions = {}): Promise<{ report: string; seconds: number }> {
  const t0 = performance.now();
  const load0 = loadavg();
  const log = o.log ?? (() => {});
  const data = o.data ?? LAYERACT_DEFAULTS.data;
  // one directory per dataset: runs on different data are different runs
  const out = o.out ?? (data === 'mnist' ? LAYERACT_DEFAULTS.out : `${LAYERACT_DEFAULTS.out}-${data.split(':')[0]}`);
  const seeds = o.seeds ?? [...LAYERACT_DEFAULTS.seeds];
  const epochs = o.epochs ?? LAYERACT_DEFAULTS.epochs;
  const images = o.images ?? LAYERACT_DEFAULTS.images;
  const noise = o.noise ?? DEFAULT_NOISE;
  const corruptions = o.corruptions ?? ['all'];
  const severities = o.severities ?? [3];
  const batchSize = o.batchSize ?? LAYERACT_DEFAULTS.batchSize;
  const lock = lockDir(out, 'recipe report directory');
  try {
    const results: RunResult[] = [];
    let trainWall = 0;
    let analyzeWall = 0;
    for (const seed of seeds) {
      for (const act of LAYERACT_ACTS) {
        const dir = join(out, 'runs', `${act}-s${seed}`);
        const state = inspectRunDir(dir);
        const planned = { model: 'mlp512', activation: resolveActivation(act).name, data, seed, epochs, lr: 0.01, batchSize };
        const ta = performance.now();
        if (state.kind === 'finished') {
          const m = state.manifest;
          assertSameRun('run', join(dir, 'manifest.json'), { model: m.model, activation: m.activation.name, data: m.dataset.spec, seed: m.seed, epochs: m.recipe.epochs, lr: m.recipe.lr, batchSize: m.recipe.batchSize }, planned, `remove ${dir} (or pass another --out) to train it afresh`);
          log(`train ${act} seed ${seed}: done earlier (${dir})`);
        } else {
          log(`train ${act} seed ${seed} → ${dir}${state.kind === 'unfinished' ? ` (resuming after epoch ${state.epoch})` : ''}`);
          await runTraining({
            model: 'mlp512', act, data, seed, out: dir, resume: state.kind === 'unfinished', backend: o.backend, trackStats: true,
            recipe: { epochs, batchSize, lr: 0.01, momentum: 0.9, weightDecay: 1e-4, schedule: 'step', milestones: [0.5, 0.75], augment: 'none', valFraction: 0.1 },
            onEpoch: (l) => log(`  ${act} epoch ${l.epoch}: loss ${l.loss.toFixed(4)}, val acc ${l.valAcc === null ? '–' : (100 * l.valAcc).toFixed(2)} %`),
          });
        }
        trainWall += (performance.now() - ta) / 1000;
        const tb = performance.now();
        const adir = join(dir, RUN_ANALYSIS_DIR);
        let analysis = readAnalysis(adir);
        const wanted = (a: Analysis) => a.images === images && a.seed === 0 && JSON.stringify(a.noise) === JSON.stringify(noiseOf(noise)) && a.severities.join() === severities.join() && a.corruptions.length === expectedCorruptions(corruptions);
        if (analysis && wanted(analysis)) {
          log(`analyze ${act} seed ${seed}: done earlier`);
        } else {
          log(`analyze ${act} seed ${seed} (${images} test images)`);
          analysis = (await runAnalysis({ target: dir, images, noise, corruptions, severities, seed: 0, force: true, backend: o.backend })).analysis;
        }
        analyzeWall += (performance.now() - tb) / 1000;
        const m = inspectRunDir(dir);
        if (m.kind !== 'finished') throw new ActbenchError('ANALYZE_RECIPE_UNFINISHED', `${dir} did not finish training`, { file: dir });
        const timing = readTiming(adir);
        const d = m.manifest.dataset;
        results.push({
          act, seed, dir, testAcc: m.manifest.result.testAcc, trainSeconds: m.manifest.timings.trainSeconds, analyzeSeconds: timing?.seconds ?? NaN, load: timing?.loadavg ?? [],
          dataset: `${d.source}: ${d.train} training, ${d.val} validation and ${d.test} test images (backend ${m.manifest.backend})`, analysis,
        });
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const report = await writeReport(out, results, { data, seeds, epochs, images, noise, corruptions, severities, batchSize, seconds, trainWall, analyzeWall, load: [load0, loadavg()] });
    return { report, seconds };
  } finally {
    lock.release();
  }
}

function noiseOf(spec: string) {
  return spec.split(',').map((s) => {
    const [m, sd] = s.split(':').map(Number);
    return { mean: m, std: sd };
  });
}
const expectedCorruptions = (c: string[]) => (c.length === 1 && c[0] === 'all' ? 19 : c.length === 1 && c[0] === 'none' ? 0 : c.length);

interface ReportContext {
  data: string;
  seeds: number[];
  epochs: number;
  images: number;
  noise: string;
  corruptions: string[];
  severities: number[];
  batchSize: number;
  seconds: number;
  trainWall: number;
  analyzeWall: number;
  load: [number[], number[]];
}

/** Per activation (pooled over seeds): the records of one setting kind, in the order of the settings. */
function byAct(results: RunResult[], pick: (r: AnalysisRecord) => boolean): Map<string, { rec: AnalysisRecord; values: { input: number[]; output: number[] } }[]> {
  const out = new Map<string, { rec: AnalysisRecord; values: { input: number[]; output: number[] } }[]>();
  for (const r of results) {
    r.analysis.records.forEach((rec, k) => {
      if (pick(rec)) out.set(r.act, [...(out.get(r.act) ?? []), { rec, values: r.analysis.values[k] }]);
    });
  }
  return out;
}

async function writeReport(out: string, results: RunResult[], c: ReportContext): Promise<string> {
  const acts = [...LAYERACT_ACTS];
  const settings = [...new Set(results.flatMap((r) => r.analysis.records.filter((x) => x.setting.kind === 'noise').map((x) => x.setting.label)))];
  const noise = byAct(results, (r) => r.setting.kind === 'noise');
  const means = byAct(results, (r) => r.setting.kind === 'mean');
  const corr = byAct(results, (r) => r.setting.kind === 'corruption');
  const acc = (a: string) => mean(results.filter((r) => r.act === a && r.testAcc !== null).map((r) => r.testAcc as number));
  /** mean over seeds of a record statistic */
  const stat = (a: string, label: string, side: 'input' | 'output', s: 'mean' | 'std') => mean((noise.get(a) ?? []).filter((x) => x.rec.setting.label === label).map((x) => x.rec[side][s]));

  // figures in the paper's shapes
  const figs: Record<string, string> = {};
  figs['fluctuation.svg'] = await densitySvg(acts.flatMap((a) => (noise.get(a) ?? []).flatMap((x) => x.values.output.map((value) => ({ group: a, panel: `ε ~ ${x.rec.setting.label}`, value })))), { title: 'Activation output fluctuation ‖f(y+ε) − f(y)‖ per test image (cf. LayerAct Figure 4)', xTitle: 'activation fluctuation', groups: acts });
  figs['input-fluctuation.svg'] = await densitySvg(acts.flatMap((a) => (noise.get(a) ?? []).flatMap((x) => x.values.input.map((value) => ({ group: a, panel: `ε ~ ${x.rec.setting.label}`, value })))), { title: 'Activation input fluctuation ‖ε‖ per test image (cf. LayerAct appendix, input fluctuation)', xTitle: 'input fluctuation', groups: acts });
  figs['activation-mean.svg'] = await densitySvg(acts.flatMap((a) => (means.get(a) ?? []).flatMap((x) => [...x.values.output.map((value) => ({ group: a, panel: 'activation output a', value })), ...x.values.input.map((value) => ({ group: a, panel: 'activation input y', value }))])), { title: `Per-unit activation mean over the test images after epoch ${c.epochs} (cf. LayerAct Figure 5)`, xTitle: 'mean of one unit across images', groups: acts });
  const first = results.filter((r) => r.seed === c.seeds[0]);
  figs['pca.svg'] = await scatterSvg(first.flatMap((r) => (r.analysis.pca ? evenly(r.analysis.pca.points, 100).map(([x, y, l]) => ({ panel: `${r.act} (${(100 * (r.analysis.pca!.explained[0] + r.analysis.pca!.explained[1])).toFixed(0)} % var.)`, x, y, label: String(l) })) : [])), { title: 'Penultimate features (the 512 hidden units), PCA to 2-D, coloured by class (cf. LayerAct Figure 3)', columns: 3 });
  const epochRows = first.flatMap((r) => trackedStats(r.dir).map((e) => ({ epoch: e.epoch, group: r.act, value: e.stats[0].outputMean.median })));
  if (epochRows.length) figs['activation-mean-epochs.svg'] = await epochSvg(epochRows, { title: 'Per-unit activation mean on 256 fixed training images, per epoch: median over the 512 units', yTitle: 'median per-unit activation mean', groups: acts });
  const corrRows = acts.flatMap((a) => {
    const cells = new Map<string, number[]>();
    for (const x of corr.get(a) ?? []) cells.set(x.rec.setting.label, [...(cells.get(x.rec.setting.label) ?? []), x.rec.output.mean]);
    return [...cells].map(([label, v]) => ({ x: label, y: a, value: mean(v) }));
  });
  if (corrRows.length) figs['corruption.svg'] = await heatmapSvg(corrRows, { title: 'Corruption fluctuation ‖a(c(x)) − a(x)‖ / ‖a(x)‖ of the hidden layer, mean over test images', xTitle: 'corruption/severity', yTitle: 'activation', valueTitle: 'relative change' });
  for (const [name, svg] of Object.entries(figs)) writeFileAtomic(join(out, name), svg);

  // the claims
  const la = acts.filter(isLayerAct);
  const el = acts.filter((a) => !isLayerAct(a));
  const claim1 = settings.map((s) => {
    const worstLaMean = Math.max(...la.map((a) => stat(a, s, 'output', 'mean')));
    const worstLaStd = Math.max(...la.map((a) => stat(a, s, 'output', 'std')));
    const bestElMean = Math.min(...el.map((a) => stat(a, s, 'output', 'mean')));
    const bestElStd = Math.min(...el.map((a) => stat(a, s, 'output', 'std')));
    const argMin = (side: 'mean' | 'std') => el.reduce((b, a) => (stat(a, s, 'output', side) < stat(b, s, 'output', side) ? a : b));
    return { s, ok: worstLaMean < bestElMean && worstLaStd < bestElStd, worstLaMean, worstLaStd, bestElMean, bestElStd, elMeanAct: argMin('mean'), elStdAct: argMin('std') };
  });
  const claim2 = settings.map((s) => {
    const ms = acts.map((a) => stat(a, s, 'input', 'mean'));
    const spread = (Math.max(...ms) - Math.min(...ms)) / mean(ms);
    return { s, spread, lo: Math.min(...ms), hi: Math.max(...ms), ok: spread < 0.05 };
  });
  const absMean = (a: string) => mean((means.get(a) ?? []).map((x) => mean(x.values.output.map(Math.abs))));
  const medMean = (a: string) => mean((means.get(a) ?? []).map((x) => x.rec.output.median));
  const claim3ok = Math.max(...la.map(absMean)) < Math.min(...el.map(absMean));
  const bestEl3 = el.reduce((b, a) => (absMean(a) < absMean(b) ? a : b));
  // the setting with the largest noise mean
  const noiseMean = new Map(results.flatMap((r) => r.analysis.records.flatMap((x) => (x.setting.kind === 'noise' ? [[x.setting.label, x.setting.mean] as const] : []))));
  const big = settings.reduce((b, x) => ((noiseMean.get(x) ?? 0) > (noiseMean.get(b) ?? 0) ? x : b));
  const sub4 = { s: big, silu: stat('silu', big, 'output', 'mean'), hard: stat('hard_silu', big, 'output', 'mean'), relu: stat('relu', big, 'output', 'mean'), lrelu: stat('leaky_relu', big, 'output', 'mean'), ok: false };
  sub4.ok = Math.min(sub4.silu, sub4.hard) > Math.max(sub4.relu, sub4.lrelu);
  const yes = (ok: boolean) => (ok ? '**Reproduced**' : '**Not reproduced**');

  const lines = [
    `# LayerAct's MNIST analysis, reproduced with actbench (${c.data})`,
    '',
    `The paper's network (\`mlp512\`: flatten → dense 512 → activation → dense 10, no normalisation) trained on clean ${c.data} with each activation for ${c.epochs} epochs (seeds ${c.seeds.join(', ')}; SGD momentum 0.9, weight decay 1e-4, lr 0.01 ÷10 at 50 % and 75 % of the epochs, batch ${c.batchSize}; the paper trains 80 epochs, ÷10 at 40 and 60), ` +
      `with \`--track-stats\`, then analysed by \`actbench analyze\` on ${c.images} class-stratified test images: ε is drawn per element from each noise setting and added to the hidden layer's actual activation input y; f is the activation's own compiled definition applied to the whole noisy vector (for LayerAct its layer mean and variance move with ε, Definition 5).`,
    '',
    `Data: ${[...new Set(results.map((r) => r.dataset))].join('; ')}.`,
    '',
    `Time: training ${(results.reduce((a, r) => a + r.trainSeconds, 0) / 60).toFixed(1)} min and analysis ${(results.reduce((a, r) => a + r.analyzeSeconds, 0) / 60).toFixed(1)} min for the ${results.length} runs (as recorded by each run and analysis), on ${machineLine(machineInfo())}; ` +
      `the machine was shared with other jobs: load average ${[...new Set(results.map((r) => r.load.map((v) => v.toFixed(1)).join('/')))].slice(0, 6).join(', ')} (1/5/15 min) when the analyses finished. This invocation took ${(c.seconds / 60).toFixed(1)} min (load ${c.load[0].map((v) => v.toFixed(1)).join('/')} → ${c.load[1].map((v) => v.toFixed(1)).join('/')}); parts done by an earlier invocation are reused.`,
    '',
    '## Activation fluctuation (mean ± std over test images)',
    '',
    `| activation | test acc % | ${settings.map((s) => `input ‖ε‖, ε ~ ${s} | output ‖f(y+ε) − f(y)‖, ε ~ ${s}`).join(' | ')} |`,
    `|---|---:|${settings.map(() => '---:|---:').join('|')}|`,
    ...acts.map((a) => `| ${a} | ${fmt(100 * acc(a), 2)} | ${settings.map((s) => `${fmt(stat(a, s, 'input', 'mean'))} ± ${fmt(stat(a, s, 'input', 'std'))} | ${fmt(stat(a, s, 'output', 'mean'))} ± ${fmt(stat(a, s, 'output', 'std'))}`).join(' | ')} |`),
    '',
    '![activation fluctuation](fluctuation.svg)',
    '',
    '![input fluctuation](input-fluctuation.svg)',
    '',
    '## Activation mean per unit (distribution over the 512 units)',
    '',
    '| activation | median | mean |μᵢ| | 5 % | 95 % |',
    '|---|---:|---:|---:|---:|',
    ...acts.map((a) => {
      const r = (means.get(a) ?? [])[0]?.rec;
      return `| ${a} | ${fmt(medMean(a), 4)} | ${fmt(absMean(a), 4)} | ${r ? fmt(r.output.q05, 4) : '–'} | ${r ? fmt(r.output.q95, 4) : '–'} |`;
    }),
    '',
    '![activation mean](activation-mean.svg)',
    '',
    ...(figs['activation-mean-epochs.svg'] ? ['![activation mean over the epochs](activation-mean-epochs.svg)', ''] : []),
    '## The paper\'s claims',
    '',
    `1. *LayerAct's activation fluctuation has a lower mean and variance than every element-wise activation.* ${yes(claim1.every((x) => x.ok))}: ` +
      claim1.map((x) => `for ε ~ ${x.s}, the larger of la_silu/la_hardsilu has mean ${fmt(x.worstLaMean)} and std ${fmt(x.worstLaStd)} against the smallest element-wise mean ${fmt(x.bestElMean)} (${x.elMeanAct}) and std ${fmt(x.bestElStd)} (${x.elStdAct})${x.ok ? '' : ' — not lower'}`).join('; ') + '.',
    `2. *The input fluctuation is similar across activations.* ${yes(claim2.every((x) => x.ok))}: the mean ‖ε‖ ranges over ${claim2.map((x) => `${fmt(x.lo)}–${fmt(x.hi)} for ε ~ ${x.s} (spread ${(100 * x.spread).toFixed(2)} %)`).join(', ')} — by construction here, since ε is drawn independently of y with the same seed for every model (E‖ε‖ = √(D(μ² + σ²)) approximately for D = 512).`,
    `3. *LayerAct's activation mean is zero-like.* ${yes(claim3ok)} in the paper's relative sense (|μᵢ| pushed toward 0, its Appendix A; the units' means are not 0): the mean |per-unit activation mean| is ${la.map((a) => `${fmt(absMean(a), 4)} (${a})`).join(' and ')} against ${fmt(absMean(bestEl3), 4)} for the closest element-wise activation (${bestEl3}); medians: ${acts.map((a) => `${a} ${fmt(medMean(a), 4)}`).join(', ')}.`,
    `4. *(Also stated) SiLU and HardSiLU fluctuate slightly more than ReLU and LReLU when the noise has a large mean.* ${yes(sub4.ok)}: for ε ~ ${sub4.s}, silu ${fmt(sub4.silu)} and hard_silu ${fmt(sub4.hard)} against relu ${fmt(sub4.relu)} and leaky_relu ${fmt(sub4.lrelu)}.`,
    '',
    '## Beyond the paper',
    '',
    '![PCA of the penultimate features](pca.svg)',
    '',
    ...(corrRows.length
      ? [
          `Corruption fluctuation of the hidden layer (relative change of its output, mean over ${c.images} test images) under ${expectedCorruptions(c.corruptions)} corruptions at severity ${c.severities.join(', ')}; mean over corruptions: ${acts.map((a) => `${a} ${fmt(mean(corrRows.filter((r) => r.y === a).map((r) => r.value)))}`).join(', ')}.`,
          '',
          '![corruption fluctuation](corruption.svg)',
          '',
        ]
      : []),
    'Reproduce (resumable; finished runs and analyses are kept):',
    '',
    '```bash',
    `npx actbench analyze --recipe layeract-mnist --data ${c.data} --epochs ${c.epochs} --seeds ${c.seeds.join(',')} --images ${c.images}`,
    '```',
    '',
    `Per-run analyses (JSON with every per-image value, and per-run figures): ${RUN_ANALYSIS_DIR}/ inside each run directory under runs/.`,
    '',
  ];
  const report = join(out, 'report.md');
  writeFileAtomic(report, lines.join('\n'));
  return report;
}
