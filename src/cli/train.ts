/** `actbench train`, `actbench export`, `actbench models`. Parse flags, call the API, print. */
import { InvalidArgumentError, type Command } from 'commander';
import { exportTrained } from '../api/export.js';
import { listModels } from '../api/models.js';
import { runTraining } from '../api/train.js';
import { EXPORT_TARGETS, type ExportTarget } from '../acts/onnx.js';
import { MIN_NETWORK_OPSET } from '../onnx/export.js';
import { CHECKER_MAX_OPSET, SUPPORTED_OPSETS } from '../onnx/opsets.js';
import { parseBackend, type BackendRequest } from '../train/backend.js';
import type { Recipe } from '../train/recipe.js';
import { progressBar, table } from './output.js';
import { choice, integer, shape, numberList, positiveInt, positiveNumber, nonNegativeNumber, rate, seed } from './parse-flags.js';

const SCHEDULES = ['step', 'cosine', 'constant'] as const;
const AUGMENTS = ['cifar', 'none'] as const;

/** Milestones: numbers ≥ 0 without duplicates, in increasing order (a schedule is read left to right). */
const milestones = (flag: string) => (v: string): number[] => {
  const xs = numberList(flag, { min: 0 })(v);
  const k = xs.findIndex((x, i) => i > 0 && x <= xs[i - 1]);
  if (k > 0) throw new InvalidArgumentError(`${flag} expects increasing numbers, got '${v}' (${xs[k]} after ${xs[k - 1]})`);
  return xs;
};

interface TrainFlags {
  model: string;
  act: string;
  data: string;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  nesterov?: boolean;
  weightDecay: number;
  schedule: Recipe['schedule'];
  milestones: number[];
  warmup: number;
  clipNorm: number;
  labelSmoothing: number;
  augment?: Recipe['augment'];
  valFraction: number;
  seed: number;
  out?: string;
  resume?: boolean;
  force?: boolean;
  backend: BackendRequest;
  limitTrain?: number;
  limitTest?: number;
  width: number;
  dropout: number;
  trackStats?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train an image classifier in TF.js with any activation; writes models/<name>/')
    .requiredOption('--model <name>', 'zoo model (actbench models)')
    .requiredOption('--act <activation>', 'catalogue name (NAME:const=v) or expression')
    .option('--data <spec>', 'mnist | fashion-mnist[:DIR] | mnist-idx:DIR | cifar10:DIR | cifar100:DIR | npy:IMG,LAB | folder:DIR', 'mnist')
    .option('--epochs <n>', 'epochs', positiveInt('--epochs'), 10)
    .option('--batch-size <n>', 'batch size', positiveInt('--batch-size'), 128)
    .option('--lr <x>', 'peak learning rate', positiveNumber('--lr'), 0.1)
    .option('--momentum <x>', 'SGD momentum, in [0, 1)', rate('--momentum'), 0.9)
    .option('--nesterov', 'Nesterov momentum')
    .option('--weight-decay <x>', 'L2 weight decay', nonNegativeNumber('--weight-decay'), 1e-4)
    .option('--schedule <kind>', 'step | cosine | constant', choice('--schedule', SCHEDULES), 'step')
    .option('--milestones <list>', 'step schedule: increasing epochs (or fractions < 1) where lr ÷ 10', milestones('--milestones'), [0.5, 0.75])
    .option('--warmup <epochs>', 'linear warm-up epochs', nonNegativeNumber('--warmup'), 0)
    .option('--clip-norm <x>', 'clip the global gradient norm (0 = off)', nonNegativeNumber('--clip-norm'), 0)
    .option('--label-smoothing <x>', 'label smoothing, in [0, 1)', rate('--label-smoothing'), 0)
    .option('--augment <kind>', 'cifar (4-px pad + crop + flip) | none (default: cifar for cifar10/cifar100 data)', choice('--augment', AUGMENTS))
    .option('--val-fraction <x>', 'stratified validation hold-out, in [0, 1)', rate('--val-fraction'), 0.1)
    .option('--seed <n>', 'seed, an integer in [0, 2³²−1] (every value reproducible, 0 included)', seed('--seed'), 0)
    .option('--width <x>', 'channel-width multiplier (> 0; every layer must keep ≥ 1 channel)', positiveNumber('--width'), 1)
    .option('--dropout <p>', 'dropout between the convolutions of wide-ResNet blocks, in [0, 1)', rate('--dropout'), 0)
    .option('--limit-train <n>', 'train on a class-stratified subset of n images', positiveInt('--limit-train'))
    .option('--limit-test <n>', 'evaluate on a class-stratified subset of n test images', positiveInt('--limit-test'))
    .option('--out <dir>', 'run directory (default models/<model>-<act>-<data>-s<seed>)')
    .option('--resume', 'continue the run directory’s last checkpoint (refused unless every flag matches the run’s)')
    .option('--force', 'replace what --out holds (a finished run, another recipe’s checkpoint) and train afresh')
    .option('--backend <name>', 'TF.js backend: auto, tensorflow-gpu, tensorflow, native, wasm, cpu', parseBackend, 'auto')
    .option('--track-stats', 'after every epoch, record each activation layer’s activation-mean distribution on 256 fixed training images (log.jsonl; drawn by actbench analyze)')
    .action(async (f: TrainFlags) => {
      const augment = f.augment ?? (f.data.startsWith('cifar') ? 'cifar' : 'none');
      const bar = progressBar('epoch {epoch} |{bar}| {value}/{total} steps  loss {loss}  acc {acc}  {ips} img/s');
      let current = -1;
      // a stop on a non-finite loss rejects (TRAIN_NONFINITE, exit 3): main prints it, no success line
      const { dir, manifest } = await runTraining({
        model: f.model, act: f.act, data: f.data, seed: f.seed, out: f.out, resume: f.resume, force: f.force, backend: f.backend,
        limitTrain: f.limitTrain, limitTest: f.limitTest, width: f.width, dropout: f.dropout, trackStats: f.trackStats,
        recipe: {
          epochs: f.epochs, batchSize: f.batchSize, lr: f.lr, momentum: f.momentum, nesterov: !!f.nesterov, weightDecay: f.weightDecay,
          schedule: f.schedule, milestones: f.milestones, warmupEpochs: f.warmup, clipNorm: f.clipNorm, labelSmoothing: f.labelSmoothing,
          augment, valFraction: f.valFraction,
        },
        log: (l) => console.error(l),
        onStep: (s) => {
          if (s.epoch !== current) {
            if (current >= 0) bar.stop();
            current = s.epoch;
            bar.start(s.steps, 0, { epoch: s.epoch + 1, loss: '-', acc: '-', ips: '-' });
          }
          bar.update(s.step + 1, { loss: s.loss.toFixed(4), acc: s.acc.toFixed(3), ips: s.imagesPerSecond.toFixed(0) });
        },
        onEpoch: (l) => {
          bar.stop();
          current = -1;
          console.error(`epoch ${l.epoch}: loss ${l.loss.toFixed(4)}, train acc ${(100 * l.trainAcc).toFixed(2)} %, val acc ${l.valAcc === null ? '–' : (100 * l.valAcc).toFixed(2) + ' %'}, ${l.imagesPerSecond.toFixed(0)} img/s, lr ${l.lr.toPrecision(3)}`);
        },
      }).finally(() => bar.stop());
      console.log(`wrote ${dir}: test accuracy ${manifest.result.testAcc === null ? '–' : (100 * manifest.result.testAcc).toFixed(2) + ' %'} on ${manifest.dataset.test} images, ${manifest.timings.imagesPerSecond.toFixed(0)} img/s on ${manifest.backend}`);
    });

  program
    .command('export <dir>')
    .description('export a trained model to ONNX (NCHW), validated against TF.js on real and corrupted test images and by onnx.checker')
    .option('--opset <n>', `ONNX opset (${MIN_NETWORK_OPSET}–${SUPPORTED_OPSETS.max})`, integer('--opset', { min: MIN_NETWORK_OPSET, max: SUPPORTED_OPSETS.max }), SUPPORTED_OPSETS.default)
    .option('--out <file>', 'output file (default <dir>/model.onnx); never a file of the run or the dataset')
    .option('--force', 'replace an existing --out that is not this run’s own export')
    .option('--keep-bn', 'keep BatchNormalization (as Mul/Add) instead of folding it into the convolution')
    .option('--uint8-input', 'uint8 NHWC input with the normalisation inside the graph')
    .option('--native-ops', 'keep ops the CUDA provider lacks')
    .option('--target <provider>', 'lowerings for cpu | cuda | any (portable, default); recorded in the model metadata', choice('--target', EXPORT_TARGETS), 'any')
    .option('--tolerance <x>', 'max |Δlogit| relative to the logit scale', positiveNumber('--tolerance'), 1e-4)
    .option('--images <n>', 'validation images', positiveInt('--images'), 256)
    .option('--backend <name>', 'TF.js backend', parseBackend, 'auto')
    .action(async (dir: string, f: { opset: number; out?: string; force?: boolean; keepBn?: boolean; uint8Input?: boolean; nativeOps?: boolean; target: ExportTarget; tolerance: number; images: number; backend: BackendRequest }) => {
      const r = await exportTrained({
        dir, out: f.out, force: f.force, opset: f.opset, keepBatchNorm: f.keepBn, uint8Input: f.uint8Input, target: f.target, ...(f.nativeOps ? { cudaSafe: false } : {}), tolerance: f.tolerance,
        validationImages: f.images, backend: f.backend, log: (l) => console.error(l),
      });
      console.log(`wrote ${r.file} (${r.bytes} bytes, ${r.nodes} nodes, ${r.foldedBatchNorms} BatchNorms folded)`);
      for (const [k, v] of [['clean', r.clean], ['corrupted', r.corrupted]] as const) {
        console.log(`${k}: ${v.images} test images, max |Δlogit| ${v.maxAbsDiff.toExponential(2)} (logits up to ${v.logitScale.toFixed(2)}), top-1 agreement ${(100 * v.top1Agreement).toFixed(2)} %`);
      }
      console.log(r.checker ? `onnx.checker ${r.checker.version}: ok` : `onnx.checker: not available or opset > ${CHECKER_MAX_OPSET} — skipped`);
    });

  program
    .command('models')
    .description('the model zoo with parameter counts and multiply-accumulates for an input shape')
    .option('--input <h,w,c>', 'input shape (default: each model’s own)', shape('--input', 3))
    .option('--classes <n>', 'number of classes (≥ 2)', integer('--classes', { min: 2 }), 10)
    .option('--json', 'print as JSON')
    .action(async (f: { input?: number[]; classes: number; json?: boolean }) => {
      const rows = await listModels({ input: f.input as [number, number, number] | undefined, classes: f.classes });
      if (f.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      const t = table(['model', 'input', 'params', 'MMACs', 'description'], { colWidths: [18, 10, 12, 10, 60], wordWrap: true });
      for (const r of rows) t.push([r.name, r.input.join('×'), r.params.toLocaleString('en'), (r.macs / 1e6).toFixed(1), r.description]);
      console.log(t.toString());
      console.log('wrn_D_K works for any D = 6n+4 and K ≥ 1.');
    });
}
