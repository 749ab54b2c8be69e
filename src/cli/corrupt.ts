/** `actbench corrupt`: parse flags, run the pipeline (or the preview), print. */
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { checkFrostDir } from '../corrupt/frost.js';
import { CATEGORIES, checkCorruptionName, CORRUPTIONS, getCorruptionNames, PRESETS, type CorruptionName, type Preset } from '../corrupt/index.js';
import { openCorruptJobs } from '../api/corrupt-jobs.js';
import { corruptArraySet, corruptFolder } from '../corrupt/pipeline.js';
import { previewSvg } from '../corrupt/preview.js';
import { loadDataset } from '../data/sources.js';
import { SPLIT_SEED, stratifiedSubset } from '../data/split.js';
import { absoluteDataSpec, specInputPaths } from '../data/spec.js';
import { ActbenchError, closeMatches } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { assertDisjoint, assertFresh } from '../util/paths.js';
import { choice, positiveInt, seed } from './parse-flags.js';
import { progressBar } from './output.js';

const bad = (flag: string, msg: string): never => {
  throw new InvalidArgumentError(`${flag}: ${msg}`);
};

/** Comma items, trimmed; an empty item is refused naming its position. */
function items(flag: string, v: string, example: string): string[] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.every((p) => p === '')) bad(flag, `expects ${example}, got '${v}'`);
  const empty = parts.findIndex((p) => p === '');
  if (empty >= 0) bad(flag, `item ${empty + 1} is empty in '${v}' (expects ${example})`);
  return parts;
}

/** `all` | `1-5` | `1,3,5` (no empty items, no repeats): severities in the order given (the block order). */
export function parseSeverities(v: string): number[] {
  const expected = "1–5, a range such as 1-5, a list such as 1,3,5, or all";
  if (v.trim() === 'all') return [1, 2, 3, 4, 5];
  const range = /^\s*([1-5])\s*-\s*([1-5])\s*$/.exec(v);
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (a > b) bad('--severity', `range ${v} runs backwards (expects ${expected})`);
    return Array.from({ length: b - a + 1 }, (_, k) => a + k);
  }
  const parts = items('--severity', v, expected);
  const list = parts.map((s) => (/^[1-5]$/.test(s) ? Number(s) : bad('--severity', `expects ${expected}; got '${v}' ('${s}' is not a severity 1–5)`)));
  const dup = list.find((s, k) => list.indexOf(s) !== k);
  if (dup !== undefined) bad('--severity', `severity ${dup} is listed twice in '${v}' (each severity is one block of rows)`);
  return list;
}

const GROUPS: Record<string, () => CorruptionName[]> = {
  all: () => getCorruptionNames('all'),
  common: () => getCorruptionNames('common'),
  ...Object.fromEntries(Object.keys(CATEGORIES).map((c) => [c, () => getCorruptionNames(c as keyof typeof CATEGORIES)])),
};

/**
 * `--corruptions`: names and group names (all, common, noise, blur, weather, digital, extra), mixed in one
 * comma list (the README's `noise,blur`). A corruption reached twice is kept once, in the first place it
 * appears, and `notes` says so; unknown names suggest close matches.
 */
export function parseCorruptionList(v: string): { names: CorruptionName[]; notes: string[] } {
  const expected = `corruption or group names such as noise,blur or gaussian_noise,fog (groups: ${Object.keys(GROUPS).join(', ')})`;
  const names: CorruptionName[] = [];
  const notes: string[] = [];
  for (const part of items('--corruptions', v, expected)) {
    let expanded: CorruptionName[];
    if (GROUPS[part]) expanded = GROUPS[part]();
    else {
      try {
        expanded = [checkCorruptionName(part)];
      } catch {
        const close = closeMatches(part, [...CORRUPTIONS, ...Object.keys(GROUPS)]);
        return bad('--corruptions', `unknown corruption '${part}'${close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(', ')}?)` : ''}; valid: ${CORRUPTIONS.join(', ')}, or a group: ${Object.keys(GROUPS).join(', ')}`);
      }
    }
    const again = expanded.filter((c) => names.includes(c));
    if (again.length) notes.push(`--corruptions: ${again.join(', ')} ${again.length > 1 ? 'are' : 'is'} listed more than once ('${part}' repeats ${again.length > 1 ? 'them' : 'it'}); each corruption is made once`);
    names.push(...expanded.filter((c) => !names.includes(c)));
  }
  return { names, notes };
}

export function parseCorruptions(v: string): CorruptionName[] {
  return parseCorruptionList(v).names;
}


interface Flags {
  data: string;
  severity: string;
  corruptions: string;
  seed: number;
  out?: string;
  workers?: number;
  preset?: Preset;
  frostDir?: string;
  split: 'test' | 'train';
  limit?: number;
  force?: boolean;
  preview?: boolean;
  previewImages: number;
  queue?: string;
  artifacts?: string;
}

export function registerCorrupt(program: Command): void {
  program
    .command('corrupt')
    .description('CIFAR-10-C / ImageNet-C style corrupted copies of a dataset (19 corruptions × 5 severities), using every core')
    .option('--data <spec>', 'cifar10:DIR | cifar100:DIR | mnist | fashion-mnist[:DIR] | npy:IMAGES,LABELS | folder:DIR', 'mnist')
    .option('--severity <s>', '5 | 1-5 | 1,3,5 | all (the order of the severity blocks)', 'all')
    .option('--corruptions <list>', `comma list of names and groups (all | common | ${Object.keys(CATEGORIES).join(' | ')}), e.g. noise,blur`, 'all')
    .option('--seed <n>', 'global seed 0..2^32-1 (per-image seeds derive from it)', seed('--seed'), 0)
    .option('--out <dir>', 'output directory (default corruptions/<dataset>-c); a rerun resumes it only with the same recipe')
    .option('--force', 'regenerate an --out made with another recipe (its old outputs are deleted)')
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt('--workers'))
    .option('--preset <name>', `severity tables: ${PRESETS.join(' | ')} (default: by image size)`, choice('--preset', PRESETS))
    .option('--frost-dir <dir>', 'the original frost1.png … frost5.jpg for exact parity (default: procedural frost)')
    .option('--split <name>', 'test | train (array datasets)', choice('--split', ['test', 'train'] as const), 'test')
    .option('--limit <n>', 'a class-stratified, deterministic subset of n images (array datasets)', positiveInt('--limit'))
    .option('--preview', 'write an SVG grid (corruptions × severities) of a few images to reports/ instead')
    .option('--preview-images <n>', 'images in the preview', positiveInt('--preview-images'), 2)
    .option('--queue <url>', 'corrupt on `actbench worker`s of this queue (array datasets): redis://[user:pass@]HOST:PORT[/DB] or rediss://')
    .option('--artifacts <dir>', 'with --queue: a directory every worker sees (--out inside it); without it, shards travel through Redis')
    .action(async (f: Flags) => {
      // every flag is checked before any data is read or written
      const severities = parseSeverities(f.severity);
      const { names: corruptions, notes } = parseCorruptionList(f.corruptions);
      for (const n of notes) console.error(`note: ${n}`);
      if (f.frostDir) checkFrostDir(f.frostDir);
      const preset = f.preset;
      const name = f.data.split(':')[0];
      const isFolder = f.data.startsWith('folder:');
      if (isFolder && (f.limit !== undefined || f.split !== 'test')) {
        throw new ActbenchError('CLI_BAD_FLAG', '--limit and --split apply to array datasets; a folder: dataset is corrupted whole', { field: f.limit !== undefined ? '--limit' : '--split', exit: 2 });
      }
      const inputs = specInputPaths(f.data);
      const canonical = absoluteDataSpec(f.data);
      if (f.frostDir) inputs.push({ path: f.frostDir, what: '--frost-dir' });
      if (f.preview) {
        const ds = loadDataset(f.data);
        const set = f.split === 'train' ? ds.train : ds.test;
        const images = Array.from({ length: Math.min(f.previewImages, set.labels.length) }, (_, k) => {
          const px = set.height * set.width * set.channels;
          return { data: set.images.slice(k * px, (k + 1) * px), height: set.height, width: set.width, channels: set.channels };
        });
        const file = f.out ?? join('reports', `corruptions-preview-${name}.svg`);
        assertDisjoint({ path: file, what: '--out' }, inputs);
        if (f.out) assertFresh(file, '--out', f.force);
        writeFileAtomic(file, previewSvg(images, corruptions, { seed: f.seed, preset, frostDir: f.frostDir, title: `${ds.source} — ${f.frostDir ? 'original' : 'procedural'} frost` }));
        console.log(`wrote ${file}`);
        return;
      }
      const bar = progressBar('{label} |{bar}| {value}/{total} chunks  {eta_formatted} left');
      let started = false;
      const onProgress = (done: number, total: number, label: string) => {
        if (!started) {
          bar.start(total, 0, { label });
          started = true;
        }
        bar.setTotal(total);
        bar.update(done, { label });
      };
      const out = f.out ?? join('corruptions', isFolder ? 'folder-c' : `${name}-c`);
      assertDisjoint({ path: out, what: '--out' }, isFolder ? [{ path: f.data.slice('folder:'.length), what: 'dataset folder' }, ...inputs] : inputs);
      const common = { corruptions, severities, seed: f.seed, workers: f.workers, preset, frostDir: f.frostDir, force: f.force, inputs, onProgress };
      let r;
      const jobs = f.queue ? await openCorruptJobs({ queue: f.queue, artifacts: f.artifacts, src: { data: f.data, split: f.split, limit: f.limit }, out, log: (l) => console.error(l) }) : null;
      try {
        if (isFolder) {
          r = await corruptFolder(f.data.slice('folder:'.length), { ...common, out });
        } else {
          const ds = loadDataset(f.data);
          const full = f.split === 'train' ? ds.train : ds.test;
          const total = full.labels.length;
          const sub = f.limit && f.limit < total ? stratifiedSubset(full, f.limit, SPLIT_SEED) : null;
          const selection = sub ? `class-stratified ${f.limit} of ${total} (split seed ${SPLIT_SEED}); per-image seeds from the full-split index` : `all ${total} images`;
          r = await corruptArraySet(sub ? sub.set : full, { ...common, out, subset: { split: f.split, selection }, indices: sub?.indices, ...jobs?.options(full) }, canonical);
        }
      } finally {
        if (started) bar.stop();
        await jobs?.close();
      }
      const per = Object.entries(r.manifest.subset.perClass).map(([c, k]) => `${c}:${k}`).join(' ');
      console.log(`${r.out}: ${r.written.length} written, ${r.skipped.length} already complete (skipped); ${r.images} images in ${r.seconds.toFixed(1)} s`);
      console.log(`images per class: ${per}`);
    });
}
