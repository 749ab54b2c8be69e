/** `actbench corrupt`: parse flags, run the pipeline (or the preview), print. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CATEGORIES, checkCorruptionName, getCorruptionNames, PRESETS, type CorruptionName, type Preset } from '../corrupt/index.js';
import { corruptArraySet, corruptFolder } from '../corrupt/pipeline.js';
import { previewSvg } from '../corrupt/preview.js';
import { subset } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { ActbenchError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { positiveInt } from './parse-flags.js';

export function parseSeverities(v: string): number[] {
  if (v === 'all') return [1, 2, 3, 4, 5];
  const range = /^([1-5])-([1-5])$/.exec(v);
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (a > b) throw new ActbenchError('CORRUPT_BAD_SEVERITY', `--severity range ${v} runs backwards`, { field: 'severity' });
    return Array.from({ length: b - a + 1 }, (_, k) => a + k);
  }
  const list = v.split(',').map((s) => Number(s.trim()));
  if (list.some((s) => !Number.isInteger(s) || s < 1 || s > 5)) {
    throw new ActbenchError('CORRUPT_BAD_SEVERITY', `--severity expects 1–5, a range such as 1-5, a list such as 1,3,5, or all; got '${v}'`, { field: 'severity' });
  }
  return list;
}

export function parseCorruptions(v: string): CorruptionName[] {
  if (v === 'all' || v === 'common' || v in CATEGORIES) return getCorruptionNames(v as 'all');
  return v.split(',').map((s) => checkCorruptionName(s.trim()));
}

interface Flags {
  data: string;
  severity: string;
  corruptions: string;
  seed: number;
  out?: string;
  workers?: number;
  preset?: string;
  frostDir?: string;
  split: 'test' | 'train';
  limit?: number;
  preview?: boolean;
  previewImages: number;
}

export function registerCorrupt(program: Command): void {
  program
    .command('corrupt')
    .description('CIFAR-10-C / ImageNet-C style corrupted copies of a dataset (19 corruptions × 5 severities), using every core')
    .option('--data <spec>', 'cifar10:DIR | cifar100:DIR | mnist | fashion-mnist[:DIR] | npy:IMAGES,LABELS | folder:DIR', 'mnist')
    .option('--severity <s>', '5 | 1-5 | 1,3,5 | all', 'all')
    .option('--corruptions <list>', `comma list, or all | common | ${Object.keys(CATEGORIES).join(' | ')}`, 'all')
    .option('--seed <n>', 'global seed (per-image seeds derive from it)', (v) => Number.parseInt(v, 10), 0)
    .option('--out <dir>', 'output directory (default corruptions/<dataset>-c)')
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt('--workers'))
    .option('--preset <name>', `severity tables: ${PRESETS.join(' | ')} (default: by image size)`)
    .option('--frost-dir <dir>', 'the original frost1.png … frost5.jpg for exact parity (default: procedural frost)')
    .option('--split <name>', 'test | train (array datasets)', 'test')
    .option('--limit <n>', 'only the first n images (array datasets)', positiveInt('--limit'))
    .option('--preview', 'write an SVG grid (corruptions × severities) of a few images to reports/ instead')
    .option('--preview-images <n>', 'images in the preview', positiveInt('--preview-images'), 2)
    .action(async (f: Flags) => {
      const severities = parseSeverities(f.severity);
      const corruptions = parseCorruptions(f.corruptions);
      if (f.preset && !PRESETS.includes(f.preset as Preset)) throw new ActbenchError('CORRUPT_BAD_PRESET', `--preset must be one of ${PRESETS.join(', ')}, got '${f.preset}'`, { field: 'preset' });
      if (f.frostDir && !existsSync(f.frostDir)) throw new ActbenchError('FROST_MISSING', `--frost-dir ${f.frostDir} does not exist`, { file: f.frostDir });
      const preset = f.preset as Preset | undefined;
      const name = f.data.split(':')[0];
      if (f.preview) {
        const ds = loadDataset(f.data);
        const set = f.split === 'train' ? ds.train : ds.test;
        const images = Array.from({ length: Math.min(f.previewImages, set.labels.length) }, (_, k) => {
          const px = set.height * set.width * set.channels;
          return { data: set.images.slice(k * px, (k + 1) * px), height: set.height, width: set.width, channels: set.channels };
        });
        const file = f.out ?? join('reports', `corruptions-preview-${name}.svg`);
        writeFileAtomic(file, previewSvg(images, corruptions, { seed: f.seed, preset, frostDir: f.frostDir, title: `${ds.source} — ${f.frostDir ? 'original' : 'procedural'} frost` }));
        console.log(`wrote ${file}`);
        return;
      }
      const bar = new SingleBar({ format: '{label} |{bar}| {value}/{total} chunks  {eta_formatted} left', hideCursor: true, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 5000 }, Presets.shades_classic);
      let started = false;
      const onProgress = (done: number, total: number, label: string) => {
        if (!started) {
          bar.start(total, 0, { label });
          started = true;
        }
        bar.setTotal(total);
        bar.update(done, { label });
      };
      const common = { corruptions, severities, seed: f.seed, workers: f.workers, preset, frostDir: f.frostDir, onProgress };
      let r;
      if (f.data.startsWith('folder:')) {
        r = await corruptFolder(f.data.slice('folder:'.length), { ...common, out: f.out ?? join('corruptions', 'folder-c') });
      } else {
        const ds = loadDataset(f.data);
        let set = f.split === 'train' ? ds.train : ds.test;
        if (f.limit && f.limit < set.labels.length) set = subset(set, Array.from({ length: f.limit }, (_, k) => k));
        r = await corruptArraySet(set, { ...common, out: f.out ?? join('corruptions', `${name}-c`) }, `${ds.source} (${f.split}${f.limit ? `, first ${f.limit}` : ''})`);
      }
      bar.stop();
      console.log(`${r.out}: ${r.written.length} written, ${r.skipped.length} already complete (skipped); ${r.images} images in ${r.seconds.toFixed(1)} s`);
    });
}
