/** `actbench eval`: parse flags, call runEval (src/api/eval.ts), print. */
import { Option, type Command } from 'commander';
import { nonFiniteError, runEval } from '../api/eval.js';
import { CHANNEL_ORDERS, INTERPOLATIONS, LAYOUTS, parseInputShape, parseNumberList, parseScale, PRESET_NAMES, type ChannelOrder, type Interpolation, type Layout, type PreprocessRequest } from '../data/preprocess.js';
import { SPLIT_SEED } from '../data/split.js';
import { alexnetLine, missingCellsLine } from '../eval/imagenet-c.js';
import { corruptionErrorsVsAlexNet } from '../eval/metrics.js';
import { ActbenchError } from '../errors.js';
import { mainTable } from '../report/robustness.js';
import type { EvalRecord } from '../results/store.js';
import { DEFAULT_OPT_LEVEL, EP_NAMES, OPT_LEVELS, type EpName, type OptLevel } from '../runtime/session.js';
import { parseCorruptions, parseSeverities } from './corrupt.js';
import { progressBar, table } from './output.js';
import { choice, positiveInt, seed } from './parse-flags.js';

const usage = (message: string, field: string) => new ActbenchError('CLI_CONFLICTING_FLAGS', message, { field, exit: 2 });

/** the preprocessing flags are PreprocessRequest's fields (the preset comes as --preprocess) */
interface EvalFlags extends Omit<PreprocessRequest, 'preset' | 'image'> {
  data: string;
  corrupted?: string;
  imagenetC?: string;
  clean?: boolean;
  corruptions: string;
  severity: string;
  seed: number;
  limit?: number;
  batch: number;
  ep: EpName;
  optLevel: OptLevel;
  fidelity?: boolean;
  results: string;
  alexnet?: boolean;
  json?: boolean;
  preprocess?: string;
  queue?: string;
  artifacts?: string;
}

const pct = (v: number) => `${(v * 100).toFixed(2)} %`;

export function registerEval(program: Command): void {
  const evalCmd = program
    .command('eval <models...>')
    .description('clean and corrupted accuracy (top-1/top-5) of ONNX models; results appended to a store, reruns skip finished cells')
    .option('--data <spec>', 'clean data, corrupted on the fly: mnist | fashion-mnist | cifar10:DIR | cifar100:DIR | npy:I,L | folder:DIR | imagenet-val:DIR,LABELS', 'mnist')
    .addOption(new Option('--corrupted <dir>', 'a CIFAR-10-C style directory (released, or from actbench corrupt) instead of on-the-fly corruption').conflicts('imagenetC'))
    .addOption(new Option('--imagenet-c <dir>', 'an ImageNet-C / Tiny-ImageNet-C tree <corruption>/<severity>/<class>/<file> (clean accuracy with --data folder:VAL)').conflicts(['limit', 'seed']))
    .addOption(new Option('--clean', 'clean accuracy only: top-1/top-5, mean cross-entropy loss and ECE (15 bins)').conflicts(['corrupted', 'imagenetC', 'fidelity']))
    .option('--corruptions <list>', 'comma list, or all | common | noise | blur | weather | digital | extra', 'all')
    .option('--severity <s>', '5 | 1-5 | 1,3,5 | all', 'all')
    .addOption(new Option('--seed <n>', 'seed of the on-the-fly corruptions').argParser(seed('--seed')).default(0).conflicts('corrupted'))
    .option('--limit <n>', `a class-stratified subset of n test images (split seed ${SPLIT_SEED}); the same images in every cell`, positiveInt('--limit'))
    .option('--batch <n>', 'batch size', positiveInt('--batch'), 256)
    .option('--ep <name>', 'execution provider: auto (CUDA, else CPU) | cuda | webgpu | cpu', choice('--ep', EP_NAMES), 'auto')
    .option('--opt-level <level>', 'graph optimisation: disabled | basic | extended | all', choice('--opt-level', OPT_LEVELS), DEFAULT_OPT_LEVEL)
    .option('--fidelity', 'also compare with the TF.js model next to each .onnx (agreement on corrupted images)')
    .option('--results <file>', 'results store (JSON lines)', 'reports/results.jsonl')
    .option('--alexnet', 'also report CE/mCE against AlexNet’s published ImageNet-C errors (with --imagenet-c)')
    .option('--queue <url>', 'evaluate on `actbench worker`s of this queue: redis://[user:pass@]HOST:PORT[/DB] or rediss://')
    .option('--artifacts <dir>', 'with --queue: a directory every worker sees (the models inside it); without it, models up to 16 MiB travel through Redis')
    .option('--json', 'one JSON document on stdout: { results, dataset, records, missing, preprocess } (tables and progress on stderr)')
    // preprocessing (docs/preprocessing.md): flags override the model's metadata field by field
    .option('--preprocess <preset>', `a preset: ${PRESET_NAMES.join(' | ')} (imagenet: torchvision mean/std, resize 256 → crop 224)`)
    .option('--mean <list>', 'per-channel mean subtracted after --scale, e.g. 0.485,0.456,0.406', (v) => parseNumberList('--mean', v))
    .option('--std <list>', 'per-channel std divided by, e.g. 0.229,0.224,0.225', (v) => parseNumberList('--std', v))
    .option('--scale <x>', 'pixel multiplier before mean/std: 1/255 (default) or 1', parseScale)
    .option('--layout <l>', `float input layout: ${LAYOUTS.join(' | ')} (PyTorch nchw, Keras nhwc)`, choice('--layout', LAYOUTS))
    .option('--channel-order <o>', `the model's channel order: ${CHANNEL_ORDERS.join(' | ')}`, choice('--channel-order', CHANNEL_ORDERS))
    .option('--input-shape <C,H,W>', 'the size fed to a model with dynamic height/width (checked against the data)', parseInputShape)
    .option('--resize <n>', 'folder: images: resize the shorter side to n (torchvision Resize)', positiveInt('--resize', 16384))
    .option('--center-crop <n>', 'folder: images: crop the centre n×n after --resize (torchvision CenterCrop)', positiveInt('--center-crop', 16384))
    .option('--interpolation <i>', `resize filter: ${INTERPOLATIONS.join(' | ')} (default bilinear)`, choice('--interpolation', INTERPOLATIONS));
  evalCmd.action(async (models: string[], f: EvalFlags) => {
    // flag combinations that would otherwise be silently ignored
    const given = (k: string) => evalCmd.getOptionValueSource(k) === 'cli';
    if (f.imagenetC && given('data') && !/^(folder|imagenet-val):/.test(f.data)) throw usage(`--imagenet-c takes its clean set from --data folder:VAL or imagenet-val:DIR,LABELS; --data ${f.data} would be ignored`, 'data');
    if (f.alexnet && !f.imagenetC) throw usage('--alexnet compares with AlexNet’s ImageNet-C errors: it needs --imagenet-c', 'alexnet');
    if (f.clean && (given('corruptions') || given('severity') || given('seed'))) throw usage('--clean evaluates the clean set only; --corruptions/--severity/--seed would be ignored', 'clean');
    const corruptions = parseCorruptions(f.corruptions);
    const severities = parseSeverities(f.severity);
    const onTheFly = !f.corrupted && !f.imagenetC;
    const preprocess: PreprocessRequest = {
      preset: f.preprocess, mean: f.mean, std: f.std, scale: f.scale, layout: f.layout, channelOrder: f.channelOrder,
      inputShape: f.inputShape, resize: f.resize, centerCrop: f.centerCrop, interpolation: f.interpolation,
    };
    // human text goes to stderr with --json, so stdout is only records
    const say = (line: string) => (f.json ? console.error(line) : console.log(line));
    const bar = progressBar('{model} |{bar}| {value}/{total} cells  {cell}');
    let k = 0;
    const run = await runEval({
      models, data: f.imagenetC && !given('data') ? undefined : f.data, corrupted: f.corrupted, imagenetC: f.imagenetC, clean: f.clean,
      corruptions: f.clean ? undefined : onTheFly || given('corruptions') ? corruptions : undefined,
      severities: f.clean ? undefined : onTheFly || f.imagenetC || given('severity') ? severities : undefined,
      seed: f.seed, limit: f.limit, batch: f.batch, ep: f.ep, optLevel: f.optLevel, fidelity: f.fidelity, results: f.results, preprocess, queue: f.queue, artifacts: f.artifacts,
      log: (l) => console.error(`actbench: ${l}`),
      onModel: (m, cells) => ((k = 0), bar.start(cells, 0, { model: m, cell: '' })),
      onCell: (_m, r, skipped) => bar.update(++k, { cell: `${r.corruption ?? 'clean'}${r.severity ? `/${r.severity}` : ''}${skipped ? ' (stored)' : ''}` }),
      onModelDone: () => bar.stop(),
    });
    // one document on stdout, as bench/report/corrupt --json: the records exactly as stored
    if (f.json) console.log(JSON.stringify({ results: f.results, dataset: run.dataset, records: run.records, missing: run.missing, preprocess: run.preprocess }));
    if (f.clean) say(cleanTable(run.records));
    else {
      const { header, rows } = mainTable(run.runs);
      const t = table(header);
      rows.forEach((r) => t.push(r));
      say(t.toString());
      const clean = run.records.filter((r) => r.corruption === null);
      if (clean.length) say(cleanTable(clean));
    }
    const missing = missingCellsLine(run.missing);
    if (missing) say(missing);
    if (f.alexnet) for (const r of run.runs) say(alexnetLine(r.activation, corruptionErrorsVsAlexNet(r.eval)));
    say(`images: ${run.dataset}`);
    say(`results: ${f.results} (provider ${run.runs[0]?.provider ?? '–'}); render with actbench report --results ${f.results} --dataset '${run.dataset}'`);
    for (const line of run.warnings) console.error(`actbench: warning: ${line}`);
    if (run.broken.length) throw nonFiniteError(run.broken);
  });
}

/** Clean accuracy per model: top-1/top-5, loss and ECE. */
function cleanTable(records: EvalRecord[]): string {
  const t = table(['model', 'images', 'top-1', 'top-5', 'loss', 'ECE']);
  for (const r of records.filter((x) => x.corruption === null)) {
    t.push([r.model, String(r.n), pct(r.top1), pct(r.top5), r.loss === undefined ? '–' : r.loss.toFixed(4), r.ece === undefined ? '–' : pct(r.ece)]);
  }
  return t.toString();
}
