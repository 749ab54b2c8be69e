/** `actbench study`: the whole pipeline in one command (the work is api/study.ts). */
import type { Command } from 'commander';
import { DEFAULT_STUDY_ACTS, DEFAULT_STUDY_SEEDS, runStudy } from '../api/study.js';
import { EP_NAMES, type EpName } from '../runtime/session.js';
import { choice, positiveInt, seedList, wordList } from './parse-flags.js';

export function registerStudy(program: Command): void {
  program
    .command('study')
    .description('the whole pipeline in one command: train, export, validate, corrupt, evaluate, benchmark, report')
    .option('--data <spec>', 'mnist | fashion-mnist | cifar10:DIR … (default: fashion-mnist when Debian’s package is installed, else mnist)')
    .option('--model <name>', 'zoo model', 'cnn_small')
    .option('--acts <list>', 'activations', wordList('--acts'), DEFAULT_STUDY_ACTS)
    .option('--seeds <list>', 'seeds', seedList('--seeds'), DEFAULT_STUDY_SEEDS)
    .option('--epochs <n>', 'epochs', positiveInt('--epochs'), 2)
    .option('--limit-train <n>', 'training images', positiveInt('--limit-train'), 6000)
    .option('--test-images <n>', 'test images (clean and corrupted)', positiveInt('--test-images'), 1000)
    .option('--out <dir>', 'report directory (default reports/study-<data>-<model>)')
    .option('--ep <name>', 'auto | cuda | webgpu | cpu', choice('--ep', EP_NAMES), 'auto')
    .option('--queue <url>', 'train on `actbench worker`s of this queue: redis://[user:pass@]HOST:PORT[/DB] or rediss://')
    .option('--artifacts <dir>', 'with --queue: the directory every worker sees (the models directory inside it)')
    .action(async (f: { data?: string; model: string; acts: string[]; seeds: number[]; epochs: number; limitTrain: number; testImages: number; out?: string; ep: EpName; queue?: string; artifacts?: string }) => {
      const r = await runStudy({ ...f, log: (l) => console.error(l) });
      console.log(`report: ${r.report} (${(r.seconds / 60).toFixed(1)} min)`);
    });
}
