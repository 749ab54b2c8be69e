/**
 * `npm run bench [suite…]`: benchmarks that write markdown to reports/. Speed is measured here, never
 * asserted in tests. Suites: activations, training, corruptions, pipeline.
 */
import { SingleBar, Presets } from 'cli-progress';
import { writeFileAtomic } from '../util/atomic.js';
import { activationBenchMarkdown, benchActivations } from './activations.js';
import { benchTraining, trainingBenchMarkdown } from './training.js';
import { benchCorruptions, corruptionBenchMarkdown } from './corruptions.js';
import { benchPipeline, pipelineBenchMarkdown } from './pipeline.js';

const SUITES: Record<string, () => Promise<string>> = {
  async activations() {
    const bar = new SingleBar({ format: 'activations |{bar}| {value}/{total} runs', clearOnComplete: true }, Presets.shades_classic);
    let started = false;
    const r = await benchActivations({
      onProgress: (done, total) => {
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      },
    });
    bar.stop();
    const file = 'reports/bench-activations.md';
    writeFileAtomic(file, activationBenchMarkdown(r, 'npm run bench -- activations'));
    return file;
  },
};

SUITES.training = async () => {
  const r = await benchTraining({ log: (l) => console.error(l) });
  const file = 'reports/bench-training.md';
  writeFileAtomic(file, trainingBenchMarkdown(r, 'npm run bench -- training'));
  return file;
};

SUITES.corruptions = async () => {
  const r = await benchCorruptions({ log: (l) => console.error(l) });
  const file = 'reports/bench-corruptions.md';
  writeFileAtomic(file, corruptionBenchMarkdown(r, 'npm run bench -- corruptions'));
  return file;
};

SUITES.pipeline = async () => {
  const r = await benchPipeline({ log: (l) => console.error(l) });
  const file = 'reports/bench-pipeline.md';
  writeFileAtomic(file, pipelineBenchMarkdown(r, 'npm run bench -- pipeline'));
  return file;
};

const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = requested.filter((s) => !(s in SUITES));
if (unknown.length) {
  console.error(`unknown bench suite(s): ${unknown.join(', ')}; available: ${Object.keys(SUITES).join(', ')}`);
  process.exit(2);
}
for (const name of requested.length ? requested : Object.keys(SUITES)) {
  const file = await SUITES[name]();
  console.log(`${name}: wrote ${file}`);
}
