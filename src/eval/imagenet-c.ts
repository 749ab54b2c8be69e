/**
 * ImageNet-C evaluation around the tree reader (evaluate.ts imagenetCSource): the clean set the tree is
 * compared with, and the lines that say what was and was not measured.
 */
import { join } from 'node:path';
import type { CorruptionName } from '../corrupt/presets.js';
import type { ImageSet } from '../data/dataset.js';
import { isDirectory, readImageFolder } from '../data/folder.js';
import { loadDataset } from '../data/sources.js';
import { toDataSpec } from '../data/spec.js';
import type { ImageTransform } from '../data/preprocess.js';
import { ActbenchError } from '../errors.js';
import { COMMON_15, type AlexNetErrors } from './metrics.js';

/**
 * The clean counterpart of an ImageNet-C tree: every image of the val set, never a hold-out of it —
 * `folder:VAL` whole (its val/ or test/ split when it has train/ too), or `imagenet-val:DIR,LABELS`.
 */
export function imagenetCCleanSet(spec: string, image?: ImageTransform): ImageSet {
  const s = toDataSpec(spec);
  if (s.kind === 'imagenet-val') return loadDataset(s, { image }).test;
  if (s.kind !== 'folder') {
    throw new ActbenchError('CLI_CONFLICTING_FLAGS', `--imagenet-c takes its clean set from --data folder:VAL or imagenet-val:DIR,LABELS; --data ${spec} would be ignored`, { field: 'data', exit: 2 });
  }
  return isDirectory(join(s.dir, 'train')) ? loadDataset(s, { image }).test : readImageFolder(s.dir, 'folder', image);
}

const range = (sev: number[]): string => (sev.length > 2 && sev.every((v, i) => i === 0 || v === sev[i - 1] + 1) ? `${sev[0]}-${sev[sev.length - 1]}` : sev.join(','));

/** "not in the tree, not evaluated: fog/4, fog/5, snow/1-5", or null when nothing asked for is missing. */
export function missingCellsLine(missing: readonly { corruption: CorruptionName; severity: number }[] | undefined): string | null {
  if (!missing?.length) return null;
  const by = new Map<CorruptionName, number[]>();
  for (const m of missing) by.set(m.corruption, [...(by.get(m.corruption) ?? []), m.severity]);
  return `not in the tree, not evaluated: ${[...by].map(([c, s]) => `${c}/${range(s)}`).join(', ')}`;
}

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);

/** One line per model: the published-comparable mCE, or the partial one, labelled as such. */
export function alexnetLine(label: string, e: AlexNetErrors): string {
  if (e.mCE !== null) return `${label}: mCE vs AlexNet ${pct(e.mCE)}, relative mCE ${pct(e.relativeMCE)} (15 corruptions × 5 severities)`;
  if (!e.partial) return `${label}: no mCE vs AlexNet: none of the 15 common corruptions (${COMMON_15.slice(0, 3).join(', ')}, …) was measured`;
  const over = e.partial.corruptions.map((c) => `${c} ${range(e.severities[c] ?? [])}`).join('; ');
  return `${label}: PARTIAL mCE vs AlexNet ${pct(e.partial.mCE)}, relative ${pct(e.partial.relativeMCE)}, over ${e.partial.corruptions.length} of 15 corruptions (${over}): each CE against AlexNet's errors at the same severities; not comparable with published mCE (all 15 × 5 needed)`;
}
