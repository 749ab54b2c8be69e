/**
 * Loaders for the released corruption benchmarks, so evaluation can use the published files:
 * CIFAR-10-C / CIFAR-100-C directories (`<corruption>.npy` + `labels.npy`, read by row ranges without
 * loading the whole file) and ImageNet-C / Tiny-ImageNet-C trees (`<corruption>/<severity>/<class>/<file>`).
 *
 * The layout of a CIFAR-C directory comes from its `manifest.json` when there is one (written by
 * `actbench corrupt`: the severities in block order and the images per severity); only a directory
 * without a manifest (the released CIFAR-10-C files) is read as 5 stacked severities, and then the rows
 * must be 5 × n — never guessed otherwise.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCorruptionManifest, type CorruptionManifest } from '../corrupt/manifest.js';
import { CORRUPTIONS, type CorruptionName } from '../corrupt/presets.js';
import { ActbenchError, fsError } from '../errors.js';
import { isDirectory, listImageFolder, type FolderEntry } from './folder.js';
import { npyLabels } from './labels.js';
import { NpyFile, readNpy } from './npy.js';

export interface CifarCSlice {
  corruption: CorruptionName;
  severity: number;
  /** uint8 NHWC */
  images: Uint8Array;
  labels: Int32Array;
  height: number;
  width: number;
  channels: number;
}

/** The released CIFAR-10-C / CIFAR-100-C stacks: severities 1–5, 10 000 images each. */
export const RELEASED_SEVERITIES = [1, 2, 3, 4, 5] as const;

export class CifarC {
  readonly corruptions: CorruptionName[];
  /** labels of every row (all severity blocks) */
  readonly labels: Int32Array;
  /** the severity of each block, in block order */
  readonly severities: number[];
  readonly perSeverity: number;
  readonly manifest: CorruptionManifest | null;
  /** [H, W, C] of the images (checked equal across every <corruption>.npy) */
  readonly shape: [number, number, number];

  constructor(readonly dir: string) {
    const labelsFile = join(dir, 'labels.npy');
    if (!existsSync(labelsFile)) throw new ActbenchError('CIFARC_MISSING', `${labelsFile} not found: a CIFAR-10-C directory has labels.npy and <corruption>.npy files`, { file: labelsFile });
    const l = readNpy(labelsFile);
    this.labels = npyLabels(labelsFile, l.header, l.data);
    this.manifest = readCorruptionManifest(dir);
    const rows = this.labels.length;
    if (this.manifest) {
      const m = this.manifest;
      if (m.layout !== 'cifar-c') throw new ActbenchError('CIFARC_LAYOUT', `${join(dir, 'manifest.json')} describes an '${m.layout}' set, not .npy files; evaluate it with --imagenet-c`, { file: join(dir, 'manifest.json'), field: 'layout' });
      this.severities = [...m.severities];
      this.perSeverity = m.imagesPerSeverity;
      if (rows !== this.severities.length * this.perSeverity) {
        throw new ActbenchError('CIFARC_LAYOUT', `${labelsFile} has ${rows} rows, but manifest.json says ${this.severities.length} severities (${this.severities.join(',')}) × ${this.perSeverity} images = ${this.severities.length * this.perSeverity}`, { file: labelsFile, field: 'rows' });
      }
      if (m.subset.images !== this.perSeverity) {
        throw new ActbenchError('CIFARC_LAYOUT', `${join(dir, 'manifest.json')}: subset.images ${m.subset.images} differs from imagesPerSeverity ${this.perSeverity}`, { file: join(dir, 'manifest.json'), field: 'subset' });
      }
    } else {
      if (rows === 0 || rows % RELEASED_SEVERITIES.length !== 0) {
        throw new ActbenchError('CIFARC_LAYOUT', `${labelsFile} has ${rows} rows and ${dir} has no manifest.json: a released CIFAR-10-C directory stacks 5 severities (rows = 5 × n); a set made by actbench corrupt carries a manifest.json`, { file: labelsFile, field: 'rows' });
      }
      this.severities = [...RELEASED_SEVERITIES];
      this.perSeverity = rows / RELEASED_SEVERITIES.length;
    }
    this.corruptions = CORRUPTIONS.filter((c) => existsSync(join(dir, `${c}.npy`)));
    if (this.corruptions.length === 0) throw new ActbenchError('CIFARC_EMPTY', `${dir} has no <corruption>.npy files (e.g. gaussian_noise.npy)`, { file: dir });
    let shape: [number, number, number] | null = null;
    for (const c of this.corruptions) {
      const s = this.header(c);
      if (shape && s.join() !== shape.join()) {
        throw new ActbenchError('CIFARC_BAD_SHAPE', `${join(dir, `${c}.npy`)} holds ${s.join('×')} images, ${this.corruptions[0]}.npy ${shape.join('×')}; every file of a set has one image size`, { file: join(dir, `${c}.npy`), field: 'shape' });
      }
      shape = s;
    }
    this.shape = shape as [number, number, number];
    if (this.manifest && this.manifest.shape.join() !== this.shape.join()) {
      throw new ActbenchError('CIFARC_BAD_SHAPE', `${dir}: the .npy files hold ${this.shape.join('×')} images, manifest.json says ${this.manifest.shape.join('×')}`, { file: join(dir, 'manifest.json'), field: 'shape' });
    }
  }

  /** [H, W, C] of one file, validated against labels.npy (dtype uint8, one row per label). */
  private header(corruption: CorruptionName): [number, number, number] {
    const file = join(this.dir, `${corruption}.npy`);
    const f = new NpyFile(file);
    try {
      const [rows, height, width, channels = 1] = f.header.shape;
      if (f.header.dtype !== 'uint8' || rows !== this.labels.length || f.header.shape.length < 3 || f.header.shape.length > 4) {
        throw new ActbenchError('CIFARC_BAD_SHAPE', `${file}: ${f.header.dtype} (${f.header.shape.join(', ')}), expected uint8 with ${this.labels.length} rows like labels.npy, (rows, H, W[, C])`, { file, field: 'shape' });
      }
      return [height, width, channels];
    } finally {
      f.close();
    }
  }

  /** 0-based block of a severity; a severity the set does not hold is refused. */
  block(severity: number): number {
    const k = this.severities.indexOf(severity);
    if (k < 0) {
      const sv = this.severities;
      const run = sv.every((v, i) => i === 0 || v === sv[i - 1] + 1) && sv.length > 2 ? `${sv[0]}..${sv[sv.length - 1]}` : sv.join(',');
      throw new ActbenchError('CIFARC_BAD_SEVERITY', `severity ${severity} outside ${run}: the severities ${this.dir} holds${this.manifest ? ' (manifest.json)' : ' (released layout)'}`, { file: this.dir, field: 'severity' });
    }
    return k;
  }

  /** labels of one severity block */
  blockLabels(severity: number): Int32Array {
    const off = this.block(severity) * this.perSeverity;
    return this.labels.subarray(off, off + this.perSeverity);
  }

  /** images [start, end) of one severity block (row offsets within the block) */
  read(corruption: CorruptionName, severity: number, start = 0, end = this.perSeverity): CifarCSlice {
    return this.readRows(corruption, severity, Array.from({ length: end - start }, (_, k) => start + k));
  }

  /** the given rows (offsets within the severity block, ascending) of one corruption; consecutive rows read together */
  readRows(corruption: CorruptionName, severity: number, rows: readonly number[]): CifarCSlice {
    const file = join(this.dir, `${corruption}.npy`);
    if (!existsSync(file)) throw new ActbenchError('CIFARC_MISSING', `${file} not found`, { file });
    const off = this.block(severity) * this.perSeverity;
    const [height, width, channels] = this.shape;
    const px = height * width * channels;
    const images = new Uint8Array(rows.length * px);
    const labels = new Int32Array(rows.length);
    const f = new NpyFile(file);
    try {
      for (let k = 0; k < rows.length; ) {
        let e = k + 1;
        while (e < rows.length && rows[e] === rows[e - 1] + 1) e++;
        const a = rows[k];
        if (!Number.isInteger(a) || a < 0 || rows[e - 1] >= this.perSeverity) {
          throw new ActbenchError('CIFARC_BAD_RANGE', `${file}: rows ${a}..${rows[e - 1]} outside the ${this.perSeverity} images of a severity block`, { file });
        }
        images.set(f.read(off + a, off + rows[e - 1] + 1) as Uint8Array, k * px);
        labels.set(this.labels.subarray(off + a, off + rows[e - 1] + 1), k);
        k = e;
      }
    } finally {
      f.close();
    }
    return { corruption, severity, images, labels, height, width, channels };
  }
}

export interface ImagenetCTree {
  root: string;
  corruptions: CorruptionName[];
  /** files of one corruption and severity, labelled by sorted class folder */
  list(corruption: CorruptionName, severity: number): { classes: string[]; entries: FolderEntry[] };
}

export function openImagenetC(root: string): ImagenetCTree {
  if (!isDirectory(root)) throw new ActbenchError('IMAGENETC_MISSING', `${root} is not a directory`, { file: root });
  const corruptions = CORRUPTIONS.filter((c) => existsSync(join(root, c)));
  if (corruptions.length === 0) {
    let found: string;
    try {
      found = readdirSync(root).slice(0, 5).join(', ');
    } catch (e) {
      throw fsError(e, root, 'list');
    }
    throw new ActbenchError('IMAGENETC_EMPTY', `${root} has no <corruption>/<severity>/ folders (found: ${found || 'nothing'})`, { file: root });
  }
  return {
    root,
    corruptions,
    list(corruption, severity) {
      return listImageFolder(join(root, corruption, String(severity)));
    },
  };
}
