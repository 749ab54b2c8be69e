/** `actbench corrupt`: parse flags, call api/corrupt.ts (the pipeline, or the preview), print. */
import { InvalidArgumentError, type Command } from 'commander';
import { corruptPreview, runCorrupt } from '../api/corrupt.js';
import { CATEGORIES, checkCorruptionName, CORRUPTIONS, getCorruptionNames, PRESETS, type CorruptionName, type Preset } from '../corrupt/index.js';
import { ActbenchError, closeMatches } from '../errors.js';
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
  json?: boolean;
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
    .option('--json', 'print the result (files written and skipped, the manifest) as JSON on stdout; notes go to stderr')
    .action(async (f: Flags) => {
      // every flag is checked before any data is read or written
      const severities = parseSeverities(f.severity);
      const { names: corruptions, notes } = parseCorruptionList(f.corruptions);
      for (const n of notes) console.error(`note: ${n}`);
      const say = f.json ? (l: string) => console.error(l) : (l: string) => console.log(l);
      if (f.preview) {
        if (f.limit !== undefined) throw new ActbenchError('CLI_CONFLICTING_FLAGS', '--preview draws the first --preview-images images; --limit would be ignored', { field: '--limit', exit: 2 });
        const file = corruptPreview({ data: f.data, corruptions, seed: f.seed, images: f.previewImages, split: f.split, preset: f.preset, frostDir: f.frostDir, out: f.out, force: f.force });
        if (f.json) console.log(JSON.stringify({ preview: file }, null, 2));
        say(`wrote ${file}`);
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
      let r;
      try {
        r = await runCorrupt({ data: f.data, corruptions, severities, seed: f.seed, out: f.out, workers: f.workers, preset: f.preset, frostDir: f.frostDir, split: f.split, limit: f.limit, force: f.force, queue: f.queue, artifacts: f.artifacts, log: (l) => console.error(l), onProgress });
      } finally {
        if (started) bar.stop();
      }
      if (f.json) console.log(JSON.stringify(r, null, 2));
      const per = Object.entries(r.manifest.subset.perClass).map(([c, k]) => `${c}:${k}`).join(' ');
      say(`${r.out}: ${r.written.length} written, ${r.skipped.length} already complete (skipped); ${r.images} images in ${r.seconds.toFixed(1)} s`);
      say(`images per class: ${per}`);
    });
}
