/**
 * Loaders for the released corruption benchmarks, so evaluation can use the published files:
 * CIFAR-10-C / CIFAR-100-C directories (`<corruption>.npy` + `labels.npy`, 5 severities stacked, read by
 * severity range without loading the whole file) and ImageNet-C / Tiny-ImageNet-C trees
 * (`<corruption>/<severity>/<class>/<file>`).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
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

export class CifarC {
  readonly corruptions: CorruptionName[];
  readonly labels: Int32Array;
  readonly severities: number;
  readonly perSeverity: number;

  constructor(readonly dir: string) {
    const labelsFile = join(dir, 'labels.npy');
    if (!existsSync(labelsFile)) throw new ActbenchError('CIFARC_MISSING', `${labelsFile} not found: a CIFAR-10-C directory has labels.npy and <corruption>.npy files`, { file: labelsFile });
    const l = readNpy(labelsFile);
    this.labels = npyLabels(labelsFile, l.header, l.data);
    this.corruptions = CORRUPTIONS.filter((c) => existsSync(join(dir, `${c}.npy`)));
    if (this.corruptions.length === 0) throw new ActbenchError('CIFARC_EMPTY', `${dir} has no <corruption>.npy files (e.g. gaussian_noise.npy)`, { file: dir });
    // the released sets stack 5 severities of 10 000; a set made by `actbench corrupt` records its own in manifest.json
    this.severities = this.labels.length % 5 === 0 ? 5 : 1;
    this.perSeverity = this.labels.length / this.severities;
  }

  /** rows [(s−1)·n, s·n) of one corruption, validated against labels.npy */
  read(corruption: CorruptionName, severity: number, start = 0, end = this.perSeverity): CifarCSlice {
    const file = join(this.dir, `${corruption}.npy`);
    if (!existsSync(file)) throw new ActbenchError('CIFARC_MISSING', `${file} not found`, { file });
    if (!Number.isInteger(severity) || severity < 1 || severity > this.severities) {
      throw new ActbenchError('CIFARC_BAD_SEVERITY', `severity ${severity} outside 1..${this.severities} for ${this.dir}`, { file, field: 'severity' });
    }
    const f = new NpyFile(file);
    try {
      const [rows, height, width, channels = 1] = f.header.shape;
      if (f.header.dtype !== 'uint8' || rows !== this.labels.length) {
        throw new ActbenchError('CIFARC_BAD_SHAPE', `${file}: ${f.header.dtype} (${f.header.shape.join(', ')}), expected uint8 with ${this.labels.length} rows like labels.npy`, { file, field: 'shape' });
      }
      const off = (severity - 1) * this.perSeverity;
      const images = f.read(off + start, off + end) as Uint8Array;
      return { corruption, severity, images, labels: this.labels.slice(off + start, off + end), height, width, channels };
    } finally {
      f.close();
    }
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
