/**
 * ImageNet-style folders: <root>/<class>/<image>.{jpg,jpeg,png}, decoded with real codecs (jpeg-js,
 * pngjs). With <root>/train and <root>/val (or test) the split is taken from disk. With a resize or a
 * center crop (data/preprocess.ts ImageTransform) images go through sharp (libjpeg/libpng decode, libvips
 * antialiased resampling as PIL's, torchvision's sizes and crop offsets) in a synckit worker.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ActbenchError, fsError } from '../errors.js';
import { createSyncFn } from 'synckit';
import type { ImageSet } from './dataset.js';
import type { ImageTransform } from './preprocess.js';

/** the image files folders are read from */
export const EXTS = new Set(['.jpg', '.jpeg', '.png']);

/** Decode one image to RGB (or grey when `channels` is 1), HWC uint8. */
export function decodeImage(file: string, channels: 1 | 3 = 3): { data: Uint8Array; width: number; height: number } {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw fsError(e, file, 'read');
  }
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  try {
    if (buf[0] === 0x89 && buf[1] === 0x50) {
      const png = PNG.sync.read(buf);
      ({ width, height } = png);
      rgba = png.data;
    } else if (buf[0] === 0xff && buf[1] === 0xd8) {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
      ({ width, height } = img);
      rgba = img.data;
    } else throw new Error('neither PNG nor JPEG (by its first bytes)');
  } catch (e) {
    throw new ActbenchError('IMAGE_BAD', `${file}: cannot decode: ${(e as Error).message}`, { file });
  }
  const data = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    if (channels === 3) for (let c = 0; c < 3; c++) data[p * 3 + c] = rgba[p * 4 + c];
    else data[p] = Math.round(0.299 * rgba[p * 4] + 0.587 * rgba[p * 4 + 1] + 0.114 * rgba[p * 4 + 2]);
  }
  return { data, width, height };
}

type Transformed = { data: Uint8Array; width: number; height: number; channels: number } | { tooSmall: true; width: number; height: number };
let sharpWorker: ((op: 'decodeTransformed', data: Uint8Array, o: ImageTransform) => Transformed) | undefined;

/** Decode one image file to RGB HWC uint8, resized (shorter side) and center-cropped as torchvision's Resize + CenterCrop. */
export function decodeTransformed(file: string, t: ImageTransform): { data: Uint8Array; width: number; height: number } {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw fsError(e, file, 'read');
  }
  // the same plain-JS sharp worker as the JPEG corruption (it loads the same from src/ and dist/)
  sharpWorker ??= createSyncFn(new URL('../corrupt/jpeg-worker.mjs', import.meta.url), { execArgv: [] }) as unknown as typeof sharpWorker;
  let r: Transformed;
  try {
    r = (sharpWorker as NonNullable<typeof sharpWorker>)('decodeTransformed', new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), t);
  } catch (e) {
    throw new ActbenchError('IMAGE_BAD', `${file}: cannot decode: ${(e as Error).message.split('\n')[0]}`, { file });
  }
  if ('tooSmall' in r) {
    throw new ActbenchError('IMAGE_TOO_SMALL', `${file}: ${r.width}×${r.height}${t.resize ? ` after --resize ${t.resize}` : ''} is smaller than --center-crop ${t.centerCrop}`, { file, field: 'center-crop' });
  }
  if (r.channels !== 3) throw new ActbenchError('IMAGE_BAD', `${file}: decoded to ${r.channels} channels, expected RGB`, { file });
  return r;
}

export interface FolderEntry {
  file: string;
  /** path relative to the class directory's parent, e.g. n01440764/ILSVRC2012_val_00000293.JPEG */
  relative: string;
  label: number;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw fsError(e, dir, 'list');
  }
}

/** True for a directory (symlinks followed); false when absent; a coded error when it cannot be read. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw fsError(e, path, 'stat');
  }
}

/**
 * The files of a <class>/<file> tree, classes sorted by name (torchvision's ImageFolder order). Hidden entries
 * (`.ipynb_checkpoints`, `.DS_Store`, editor backups) are neither classes nor images: torchvision would count a
 * hidden directory as a class and then refuse it as empty.
 */
export function listImageFolder(root: string): { classes: string[]; entries: FolderEntry[] } {
  if (!isDirectory(root)) throw new ActbenchError('FOLDER_MISSING', `${root} is not a directory (expected <root>/<class>/<image>)`, { file: root });
  const classes = list(root).filter((d) => !d.startsWith('.') && isDirectory(join(root, d))).sort();
  if (classes.length === 0) throw new ActbenchError('FOLDER_EMPTY', `${root} has no class sub-directories (expected <root>/<class>/<image>)`, { file: root });
  const entries: FolderEntry[] = [];
  classes.forEach((c, label) => {
    for (const f of list(join(root, c)).sort()) {
      if (!f.startsWith('.') && EXTS.has(extname(f).toLowerCase())) entries.push({ file: join(root, c, f), relative: join(c, f), label });
    }
  });
  if (entries.length === 0) throw new ActbenchError('FOLDER_EMPTY', `${root} has no .jpg/.jpeg/.png images`, { file: root });
  return { classes, entries };
}

/** Decode a whole folder into memory (resized and cropped when `transform` says so); every image must then have the same size. */
export function readImageFolder(root: string, name = root, transform?: ImageTransform): ImageSet {
  return decodeEntries(listImageFolder(root), name, transform);
}

/** Decode listed images (a folder's, or an ImageNet val listing's) into one set; every image must have the same size (after `transform`). */
export function decodeEntries({ classes, entries }: { classes: string[]; entries: FolderEntry[] }, name: string, transform?: ImageTransform): ImageSet {
  const decode = transform && (transform.resize !== undefined || transform.centerCrop !== undefined) ? (f: string) => decodeTransformed(f, transform) : (f: string) => decodeImage(f);
  const first = decode(entries[0].file);
  const px = first.width * first.height * 3;
  const images = new Uint8Array(entries.length * px);
  const labels = new Int32Array(entries.length);
  entries.forEach((e, k) => {
    const img = k === 0 ? first : decode(e.file);
    if (img.width !== first.width || img.height !== first.height) {
      throw new ActbenchError('IMAGE_SIZE', `${e.file}: ${img.width}×${img.height}, expected ${first.width}×${first.height} like ${entries[0].file}${transform?.centerCrop ? '' : ' (give --resize N --center-crop M to bring images of any size to one)'}`, { file: e.file });
    }
    images.set(img.data, k * px);
    labels[k] = e.label;
  });
  return { name, images, labels, height: first.height, width: first.width, channels: 3, numClasses: classes.length, classNames: classes };
}
