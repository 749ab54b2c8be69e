/**
 * `npm run bench [suite…]`: benchmarks that write markdown to reports/. Speed is measured here, never
 * asserted in tests. Suites: activations, training, corruptions, pipeline, imagenet, distributed, deploy.
 */
import { spawnSync } from 'node:child_process';
import { SingleBar, Presets } from 'cli-progress';
import { writeFileAtomic } from '../util/atomic.js';
import { activationBenchMarkdown, benchActivations } from './activations.js';
import { benchCorruptions, corruptionBenchMarkdown } from './corruptions.js';
import { benchDeploy, deployBenchMarkdown, deployProfilesMarkdown } from './deploy.js';
import { benchDistributed, benchLocalPool, distributedBenchMarkdown, localPoolMarkdown } from './distributed.js';
import { benchImagenet, imagenetBenchMarkdown } from './imagenet.js';
import { benchPipeline, pipelineBenchMarkdown } from './pipeline.js';
import { benchTraining, trainingBenchMarkdown } from './training.js';
import { parseBackend, type BackendName } from '../train/backend.js';

const log = (l: string) => console.error(l);

/** suite name → (run it, render its markdown) */
const SUITES: Record<string, () => Promise<(command: string) => string>> = {
  async activations() {
    const bar = new SingleBar({ format: 'activations |{bar}| {value}/{total} runs', clearOnComplete: true }, Presets.shades_classic);
    let started = false;
    const r = await benchActivations({
      onProgress: (done, total) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
    });
    bar.stop();
    return (cmd) => activationBenchMarkdown(r, cmd);
  },
  training: async () => {
    // ACTBENCH_BENCH_BACKENDS=native,wasm skips the slow pure-JS rows
    const backends = process.env.ACTBENCH_BENCH_BACKENDS?.split(',').filter(Boolean).map((b) => parseBackend(b)).filter((b): b is BackendName => b !== 'auto');
    const r = await benchTraining({ log, backends });
    return (cmd) => trainingBenchMarkdown(r, cmd);
  },
  corruptions: async () => {
    const r = await benchCorruptions({ log });
    return (cmd) => corruptionBenchMarkdown(r, cmd);
  },
  pipeline: async () => {
    const r = await benchPipeline({ log });
    return (cmd) => pipelineBenchMarkdown(r, cmd);
  },
  deploy: async () => {
    const r = await benchDeploy({ log });
    // this run's profiles with the commit they measure: the "before" of a later lowering change once
    // copied to reports/bench-deploy-profiles-before.md
    const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || 'unknown';
    writeFileAtomic('reports/bench-deploy-profiles.md', deployProfilesMarkdown(r, commit));
    return (cmd) => deployBenchMarkdown(r, cmd);
  },
  imagenet: async () => {
    const r = await benchImagenet({ log });
    return (cmd) => imagenetBenchMarkdown(r, cmd);
  },
  distributed: async () => {
    const r = await benchDistributed({ log });
    const pool = await benchLocalPool({ log });
    return (cmd) => `${distributedBenchMarkdown(r, cmd)}\n${localPoolMarkdown(pool, cmd)}`;
  },
};

const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = requested.filter((s) => !(s in SUITES));
if (unknown.length) {
  console.error(`unknown bench suite(s): ${unknown.join(', ')}; available: ${Object.keys(SUITES).join(', ')}`);
  process.exit(2);
}
for (const name of requested.length ? requested : Object.keys(SUITES)) {
  const render = await SUITES[name]();
  const file = `reports/bench-${name}.md`;
  writeFileAtomic(file, render(`npm run bench -- ${name}`));
  console.log(`${name}: wrote ${file}`);
}
process.exit(0);
