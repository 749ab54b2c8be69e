/** `actbench search` and `actbench search export`. */
import type { Command } from 'commander';
import { exportSearch, rerankSearch, runSearch } from '../api/search.js';
import type { FitnessKind } from '../search/fitness.js';
import { intList, nonNegativeNumber, positiveInt, positiveNumber } from './parse-flags.js';

const KINDS: FitnessKind[] = ['accuracy', 'robust', 'accuracy+latency', 'robust+latency'];

export function registerSearch(program: Command): void {
  const search = program
    .command('search')
    .description('discover activation functions by regularized evolution (PANGAEA); resumable')
    .option('--model <name>', 'zoo model', 'cnn_small')
    .option('--data <spec>', 'dataset', 'mnist')
    .option('--budget <C>', 'candidates to evaluate in total', positiveInt('--budget'), 1000)
    .option('--population <P>', 'population size', positiveInt('--population'), 64)
    .option('--sample <S>', 'tournament sample size', positiveInt('--sample'), 16)
    .option('--threshold <V>', 'fitness below this is discarded (but counted)', nonNegativeNumber('--threshold'), 0.2)
    .option('--fitness <kind>', KINDS.join(' | '), 'accuracy')
    .option('--latency-weight <w>', 'w in fitness − w·log2(latency / ReLU latency)', nonNegativeNumber('--latency-weight'), 0.02)
    .option('--epochs <n>', 'training epochs per candidate', positiveInt('--epochs'), 1)
    .option('--limit-train <n>', 'training images per candidate', positiveInt('--limit-train'), 2000)
    .option('--limit-test <n>', 'validation / robustness images', positiveInt('--limit-test'), 500)
    .option('--lr <x>', 'learning rate', positiveNumber('--lr'), 0.05)
    .option('--seed <n>', 'seed', (v) => Number.parseInt(v, 10), 0)
    .option('--workers <n>', 'candidates trained in parallel (child processes)', positiveInt('--workers'), 2)
    .option('--out <dir>', 'search directory', 'reports/search')
    .option('--resume', 'continue the search in --out exactly where it stopped')
    .option('--layer-ops', 'extend the operators with layer-level statistics (lnorm, lmean, cmean)')
    .enablePositionalOptions()
    .action(async (f: { model: string; data: string; budget: number; population: number; sample: number; threshold: number; fitness: string; latencyWeight: number; epochs: number; limitTrain: number; limitTest: number; lr: number; seed: number; workers: number; out: string; resume?: boolean; layerOps?: boolean }) => {
      if (!KINDS.includes(f.fitness as FitnessKind)) throw new Error(`--fitness must be one of ${KINDS.join(', ')}, got '${f.fitness}'`);
      const r = await runSearch({ ...f, fitness: f.fitness as FitnessKind, log: (l) => console.error(l) });
      const best = [...r.state.history].sort((a, b) => b.fitness - a.fitness)[0];
      console.log(`best: ${best?.expr} (fitness ${best?.fitness.toFixed(4)}; ReLU ${r.baseline.fitness.toFixed(4)})`);
      console.log(`report: ${r.report}`);
    });
  search
    .command('rerank <dir>')
    .description('retrain the top k functions and ReLU longer on several seeds (the final step of PANGAEA)')
    .option('--top <k>', 'how many', positiveInt('--top'), 3)
    .option('--epochs <n>', 'epochs', positiveInt('--epochs'), 5)
    .option('--seeds <list>', 'seeds', intList('--seeds'), [1, 2, 3])
    .option('--limit-train <n>', 'training images (default: the search’s)', positiveInt('--limit-train'))
    .option('--workers <n>', 'trainings in parallel', positiveInt('--workers'), 2)
    .action(async (dir: string, f: { top: number; epochs: number; seeds: number[]; limitTrain?: number; workers: number }) => {
      console.log(`wrote ${await rerankSearch(dir, { ...f, log: (l) => console.error(l) })}`);
    });
  search
    .command('export <dir>')
    .description('write the top functions of a search as catalogue definitions and standalone ONNX graphs')
    .option('--top <k>', 'how many', positiveInt('--top'), 3)
    .action((dir: string, f: { top: number }) => {
      for (const file of exportSearch(dir, f.top)) console.log(`wrote ${file}`);
    });
}
