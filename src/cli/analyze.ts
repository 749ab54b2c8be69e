/** `actbench analyze`: activation diagnostics of a run or an ONNX model, or a whole recipe. Parse flags, call the API, print. */
import type { Command } from 'commander';
import { DEFAULT_IMAGES, runAnalysis } from '../api/analyze.js';
import { LAYERACT_DEFAULTS, RECIPES, runLayerActMnist } from '../analyze/recipe.js';
import { meanStd } from '../analyze/report.js';
import { DEFAULT_NOISE } from '../analyze/noise.js';
import { ActbenchError } from '../errors.js';
import { parseBackend, type BackendRequest } from '../train/backend.js';
import { parseEp, type EpName } from '../runtime/session.js';
import { progressBar, table } from './output.js';
import { choice, intList, positiveInt, seed, seedList, wordList } from './parse-flags.js';

interface AnalyzeFlags {
  data?: string;
  images?: number;
  layers?: string[];
  noise: string;
  corruptions?: string[];
  severity: number[];
  seed: number;
  batch: number;
  out?: string;
  force?: boolean;
  json?: boolean;
  backend: BackendRequest;
  ep: EpName;
  recipe?: (typeof RECIPES)[number];
  seeds?: number[];
  epochs?: number;
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze [target]')
    .description('activation diagnostics of a run directory or an ONNX model (LayerAct\'s fluctuation, activation mean, PCA; corruption fluctuation per layer), or --recipe layeract-mnist')
    .option('--data <spec>', 'test images to feed (default: the run\'s dataset; required for an .onnx file)')
    .option('--images <n>', `class-stratified test images (default ${DEFAULT_IMAGES})`, positiveInt('--images'))
    .option('--layers <names>', 'layers (TF.js layer or ONNX node names) to analyse (default: every activation layer)', wordList('--layers'))
    .option('--noise <list>', 'noise settings mean:std, comma-separated (ε added to the activation input)', DEFAULT_NOISE)
    .option('--corruptions <list>', 'corruptions for the corruption fluctuation: names, all, or none (analyze default none; recipe default all)', wordList('--corruptions'))
    .option('--severity <list>', 'corruption severities 1–5', intList('--severity', { min: 1, max: 5 }), [3])
    .option('--seed <n>', 'noise and corruption seed (every value reproducible, 0 included)', seed('--seed'), 0)
    .option('--batch <n>', 'images per batch (bounds memory)', positiveInt('--batch'), 100)
    .option('--out <dir>', 'output directory (default RUN/analysis, MODEL-analysis/ next to an .onnx, or reports/analyze-<recipe>)')
    .option('--force', 'replace an existing analysis')
    .option('--json', 'print one JSON record per layer and setting on stdout')
    .option('--backend <name>', 'TF.js backend', parseBackend, 'auto')
    .option('--ep <name>', 'onnxruntime execution provider for .onnx models', parseEp, 'cpu')
    .option('--recipe <name>', `run a whole experiment: ${RECIPES.join(', ')}`, choice('--recipe', RECIPES))
    .option('--seeds <list>', `recipe: training seeds (default ${LAYERACT_DEFAULTS.seeds.join(',')})`, seedList('--seeds'))
    .option('--epochs <n>', `recipe: training epochs (default ${LAYERACT_DEFAULTS.epochs})`, positiveInt('--epochs'))
    .action(async (target: string | undefined, f: AnalyzeFlags) => {
      if (f.recipe) {
        if (target) throw new ActbenchError('CLI_CONFLICTING_FLAGS', `--recipe ${f.recipe} trains its own models: drop the target '${target}'`, { field: 'recipe', exit: 2 });
        for (const k of ['layers', 'json'] as const) if (f[k] !== undefined) throw new ActbenchError('CLI_CONFLICTING_FLAGS', `--recipe does not take --${k}`, { field: k, exit: 2 });
        const r = await runLayerActMnist({
          out: f.out, data: f.data, seeds: f.seeds, epochs: f.epochs, images: f.images, noise: f.noise, corruptions: f.corruptions, severities: f.severity, backend: f.backend,
          log: (l) => console.error(l),
        });
        console.log(`wrote ${r.report} in ${(r.seconds / 60).toFixed(1)} min`);
        return;
      }
      if (!target) throw new ActbenchError('CLI_MISSING_ARGUMENT', 'analyze needs a run directory or an .onnx file (or --recipe layeract-mnist)', { field: 'target', exit: 2 });
      for (const k of ['seeds', 'epochs'] as const) if (f[k] !== undefined) throw new ActbenchError('CLI_CONFLICTING_FLAGS', `--${k} belongs to --recipe`, { field: k, exit: 2 });
      const bar = progressBar('analyze |{bar}| {value}/{total} images');
      let started = false;
      const r = await runAnalysis({
        target, data: f.data, images: f.images, layers: f.layers, noise: f.noise, corruptions: f.corruptions, severities: f.severity, seed: f.seed, batch: f.batch,
        out: f.out, force: f.force, backend: f.backend, ep: f.ep, log: (l) => console.error(l),
        onBatch: (done, total) => {
          if (!started) bar.start(total, 0);
          started = true;
          bar.update(done);
        },
      }).finally(() => bar.stop());
      if (f.json) {
        for (const rec of r.analysis.records) console.log(JSON.stringify(rec));
      } else {
        const t = table(['layer', 'activation', 'setting', 'input mean ± std', 'output mean ± std']);
        for (const rec of r.analysis.records) t.push([rec.layer, rec.activation, rec.setting.label, meanStd(rec.input), meanStd(rec.output)]);
        console.log(t.toString());
      }
      console.error(`wrote ${r.files.join(', ')} (${r.seconds.toFixed(1)} s)`);
    });
}
