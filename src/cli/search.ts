/** `actbench search`, `actbench search rerank` and `actbench search export`. Parse flags, call the API, print. */
import { Option, type Command } from 'commander';
import { exportSearch, rerankSearch, runSearch, type SearchOptions } from '../api/search.js';
import { ActbenchError } from '../errors.js';
import type { FitnessKind } from '../search/fitness.js';
import { FITNESS_KINDS } from '../search/options.js';
import { progressBar } from './output.js';
import { choice, nonNegativeNumber, number, positiveInt, positiveNumber, seed, seedList } from './parse-flags.js';

type SearchFlags = Omit<SearchOptions, 'log' | 'onCandidate'>;

export function registerSearch(program: Command): void {
  const search = program
    .command('search')
    .description('discover activation functions by regularized evolution (PANGAEA); resumable')
    .option('--model <name>', 'zoo model', 'cnn_small')
    .option('--data <spec>', 'dataset', 'mnist')
    .option('--budget <C>', 'candidates to evaluate in total', positiveInt('--budget'), 1000)
    .option('--population <P>', 'population size', positiveInt('--population'), 64)
    .option('--sample <S>', 'tournament sample size (at most P)', positiveInt('--sample'), 16)
    .option('--threshold <V>', 'fitness below this is discarded (but counted)', number('--threshold'), 0.2)
    .option('--fitness <kind>', FITNESS_KINDS.join(' | '), choice<FitnessKind>('--fitness', FITNESS_KINDS), 'accuracy' as FitnessKind)
    .option('--latency-weight <w>', 'w in fitness − w·log2(latency / ReLU latency)', nonNegativeNumber('--latency-weight'), 0.02)
    .option('--epochs <n>', 'training epochs per candidate', positiveInt('--epochs'), 1)
    .option('--limit-train <n>', 'training images per candidate', positiveInt('--limit-train'), 2000)
    .option('--limit-test <n>', 'validation / robustness images', positiveInt('--limit-test'), 500)
    .option('--lr <x>', 'learning rate', positiveNumber('--lr'), 0.05)
    .option('--seed <n>', 'seed of the search and of every training (0 … 2^32−1)', seed('--seed'), 0)
    .option('--workers <n>', 'candidates trained in parallel (child jobs); part of the recipe', positiveInt('--workers'), 2)
    .option('--out <dir>', 'search directory', 'reports/search')
    .addOption(new Option('--resume', 'continue the search in --out where it stopped (same flags; --budget may grow)').conflicts('force'))
    .option('--force', 'discard the search in --out and start afresh')
    .option('--layer-ops', 'extend the operators with layer-level statistics (lnorm, lmean, cmean)')
    .option('--queue <url>', 'train the candidates on `actbench worker`s of this queue: redis://[user:pass@]HOST:PORT[/DB] or rediss://')
    .option('--artifacts <dir>', 'with --queue: the directory every worker sees (shared file system; --out inside it)')
    .enablePositionalOptions()
    .action(async (f: SearchFlags) => {
      if (f.sample > f.population) {
        throw new ActbenchError('CLI_BAD_FLAG', `--sample (${f.sample}) must not exceed --population (${f.population})`, { field: '--sample', exit: 2 });
      }
      const tty = !!process.stderr.isTTY;
      const bar = tty ? progressBar('search |{bar}| {value}/{total} candidates  best {best}  {expr}') : null;
      let started = false;
      try {
        const r = await runSearch({
          ...f,
          // on a terminal the bar shows progress; in a pipe or file, one line per candidate
          log: (l) => (bar && started ? undefined : console.error(l)),
          onCandidate: (c, s) => {
            if (!bar) return;
            const best = Math.max(...s.history.map((h) => h.fitness)).toFixed(4);
            if (!started) bar.start(s.config.budget, s.history.length, { best, expr: '' });
            started = true;
            bar.update(s.history.length, { best, expr: c.expr.slice(0, 40) });
          },
        });
        bar?.stop();
        const best = [...r.state.history].filter((c) => c.status === 'ok').sort((a, b) => b.fitness - a.fitness)[0];
        console.log(`best: ${best?.expr} (fitness ${best?.fitness.toFixed(4)}; ReLU ${r.baseline.fitness.toFixed(4)})`);
        console.log(`report: ${r.report}`);
      } finally {
        bar?.stop();
      }
    });
  search
    .command('rerank <dir>')
    .description('retrain the top k functions and ReLU longer on several seeds (the final step of PANGAEA)')
    .option('--top <k>', 'how many', positiveInt('--top'), 3)
    .option('--epochs <n>', 'epochs', positiveInt('--epochs'), 5)
    .option('--seeds <list>', 'seeds', seedList('--seeds'), [1, 2, 3])
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
