/**
 * The ImageNet validation set as released: one flat folder of JPEGs (ILSVRC2012_val_00000001.JPEG …) and a
 * labels file, either
 * - `LOC_val_solution.csv` (Kaggle's ILSVRC release): `ImageId,PredictionString`, the string being boxes
 *   "n01751748 x1 y1 x2 y2 …" whose first token is the image's synset; or
 * - a synset map (`LOC_synset_mapping.txt`, `synset_words.txt`: lines "n01440764 tench, Tinca tinca"),
 *   each image's synset then being the `nXXXXXXXX_` prefix of its file name (as in ImageNet's train files).
 * A synset map may follow the CSV as a third part, to fix the class list.
 *
 * Class index = position of the synset in the sorted synset list: torchvision's ImageFolder order on the
 * class-per-folder val layout, which ImageNet-trained models and ImageNet-C trees use. The list is the
 * synset map's when given, else every synset of the whole CSV (all 1 000 for the real file, whichever
 * images the folder holds). Images are ordered by (class, file name), as ImageFolder and ImageNet-C list
 * them, so the clean set lines up with an ImageNet-C tree image for image.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ActbenchError, fsError } from '../errors.js';
import type { ImageSet } from './dataset.js';
import { decodeEntries, EXTS, isDirectory, type FolderEntry } from './folder.js';
import type { ImageTransform } from './preprocess.js';

const WNID = /^n\d{8}$/;

function readText(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fsError(e, file, 'read');
  }
  return text.replace(/^\uFEFF/, '').split(/\r?\n/);
}

/** Synsets of a synset map, sorted; every non-empty line must start with a synset id. */
export function readSynsetMap(file: string, lines = readText(file)): string[] {
  const seen = new Map<string, number>();
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const wnid = line.split(/\s+/, 1)[0];
    if (!WNID.test(wnid)) throw new ActbenchError('IMAGENET_VAL_BAD_SYNSETS', `${file}:${i + 1}: ${JSON.stringify(raw.slice(0, 60))} does not start with a synset id (nXXXXXXXX, as "n01440764 tench, Tinca tinca")`, { file, field: `line ${i + 1}` });
    const prev = seen.get(wnid);
    if (prev !== undefined) throw new ActbenchError('IMAGENET_VAL_BAD_SYNSETS', `${file}:${i + 1}: synset ${wnid} repeats line ${prev}`, { file, field: `line ${i + 1}` });
    seen.set(wnid, i + 1);
  });
  if (seen.size === 0) throw new ActbenchError('IMAGENET_VAL_BAD_SYNSETS', `${file} lists no synsets`, { file });
  return [...seen.keys()].sort();
}

const CSV_HEADER = 'ImageId,PredictionString';

/** ImageId → { synset, line } of a LOC_val_solution.csv. */
export function readValSolution(file: string, lines = readText(file)): Map<string, { wnid: string; line: number }> {
  const bad = (i: number, why: string) => new ActbenchError('IMAGENET_VAL_BAD_CSV', `${file}:${i + 1}: ${why}`, { file, field: `line ${i + 1}` });
  if (lines[0]?.trim() !== CSV_HEADER) throw bad(0, `header ${JSON.stringify((lines[0] ?? '').slice(0, 60))}, expected "${CSV_HEADER}"`);
  const rows = new Map<string, { wnid: string; line: number }>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const comma = line.indexOf(',');
    const id = comma < 0 ? '' : line.slice(0, comma).trim();
    if (comma < 0 || id === '') throw bad(i, `${JSON.stringify(line.slice(0, 60))} is not "ImageId,nXXXXXXXX x1 y1 x2 y2 …"`);
    const tokens = line.slice(comma + 1).trim().split(/\s+/);
    if (!WNID.test(tokens[0] ?? '')) throw bad(i, `image ${id}: prediction ${JSON.stringify(tokens[0] ?? '')} is not a synset id (nXXXXXXXX)`);
    // boxes are 5 tokens each; every box of an image names the same synset
    for (let t = 5; t < tokens.length; t += 5) {
      if (WNID.test(tokens[t]) && tokens[t] !== tokens[0]) throw bad(i, `image ${id} has boxes of two synsets (${tokens[0]}, ${tokens[t]}): one label per image is expected`);
    }
    const prev = rows.get(id);
    if (prev) throw bad(i, `image ${id} repeats line ${prev.line}`);
    rows.set(id, { wnid: tokens[0], line: i + 1 });
  }
  if (rows.size === 0) throw bad(1, 'no rows after the header');
  return rows;
}

/** What kind of labels file: the CSV (by its header) or a synset map. */
function isCsv(lines: string[]): boolean {
  return lines[0]?.trim().startsWith('ImageId');
}

/** The images of a flat val folder with their labels (no decoding). */
export function listImagenetVal(dir: string, labelsFile: string, synsetsFile?: string): { classes: string[]; entries: FolderEntry[] } {
  if (!isDirectory(dir)) throw new ActbenchError('FOLDER_MISSING', `${dir} is not a directory (expected the flat ImageNet val folder of JPEGs)`, { file: dir });
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw fsError(e, dir, 'list');
  }
  const files = names.filter((f) => !f.startsWith('.') && EXTS.has(extname(f).toLowerCase())).sort();
  if (files.length === 0) {
    const sub = names.some((f) => !f.startsWith('.') && isDirectory(join(dir, f)));
    throw new ActbenchError('IMAGENET_VAL_EMPTY', `${dir} has no .jpg/.jpeg/.png files${sub ? ' (it has sub-folders: a class-per-folder val set is read with folder:DIR)' : ''}`, { file: dir });
  }
  const lines = readText(labelsFile);
  const csv = isCsv(lines) ? readValSolution(labelsFile, lines) : null;
  if (synsetsFile && !csv) throw new ActbenchError('IMAGENET_VAL_BAD_CSV', `${labelsFile}: the second part of imagenet-val:DIR,LABELS,SYNSETS must be LOC_val_solution.csv (header "${CSV_HEADER}") when a synset map follows`, { file: labelsFile, field: 'line 1' });
  const synsetSource = synsetsFile ?? (csv ? null : labelsFile);
  const classes = synsetSource ? readSynsetMap(synsetSource, synsetSource === labelsFile ? lines : undefined) : [...new Set([...(csv as Map<string, { wnid: string }>).values()].map((r) => r.wnid))].sort();
  const index = new Map(classes.map((c, k) => [c, k]));
  const entries: FolderEntry[] = files.map((f) => {
    const file = join(dir, f);
    let wnid: string;
    let where: string;
    let whereFile: string;
    if (csv) {
      const id = f.slice(0, f.length - extname(f).length);
      const row = csv.get(id);
      if (!row) throw new ActbenchError('IMAGENET_VAL_UNLABELLED', `${file}: no row ImageId ${id} in ${labelsFile}`, { file, field: 'ImageId' });
      ({ wnid } = row);
      where = `${labelsFile}:${row.line}`;
      whereFile = labelsFile;
    } else {
      const m = /^(n\d{8})_/.exec(f);
      if (!m) throw new ActbenchError('IMAGENET_VAL_UNLABELLED', `${file}: the name has no synset prefix (nXXXXXXXX_…) and ${labelsFile} is a synset map, not LOC_val_solution.csv: give imagenet-val:DIR,LOC_val_solution.csv[,${labelsFile}]`, { file });
      wnid = m[1];
      where = file;
      whereFile = file;
    }
    const label = index.get(wnid);
    if (label === undefined) {
      throw new ActbenchError('IMAGENET_VAL_UNKNOWN_SYNSET', `${where}: synset ${wnid} of ${f} is not in ${synsetSource ?? labelsFile} (${classes.length} synsets, ${classes[0]}…${classes[classes.length - 1]})`, { file: whereFile, field: wnid });
    }
    return { file, relative: join(wnid, f), label };
  });
  // (class, file name): the order of ImageFolder on the class-per-folder layout and of ImageNet-C trees
  entries.sort((a, b) => a.label - b.label || (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
  return { classes, entries };
}

/** Decode the val set (every image the same size, as folder: requires). Class names are the synset ids. */
export function readImagenetVal(dir: string, labelsFile: string, synsetsFile?: string, name = 'imagenet-val', transform?: ImageTransform): ImageSet {
  return decodeEntries(listImagenetVal(dir, labelsFile, synsetsFile), name, transform);
}
