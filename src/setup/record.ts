/** The JSON record an install leaves behind: what was built from what, where, and what the check saw. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { RECORD_FILE, type Variant } from './paths.js';

export interface SetupRecord {
  schema: 1;
  variant: Variant;
  tensorflow: { project: string; version: string; wheel: string; wheelBytes: number; cudaWheels: string[] };
  tfjsNode: { package: string; version: string; napi: number };
  node: { version: string; napi: string };
  /** paths relative to the install directory */
  files: { binding: string; libraries: string[]; headers: number; bytes: number };
  check: { tfVersion: string; matMul: number[]; backend: string; gpu: boolean };
  seconds: { download: number; unpack: number; build: number; check: number };
  created: string;
}

export interface Want {
  variant: Variant;
  version: string;
  tfjsNodeVersion: string;
  napi: number;
}

export function readRecord(dir: string): SetupRecord | null {
  const p = join(dir, RECORD_FILE);
  if (!existsSync(p)) return null;
  try {
    const r = JSON.parse(readFileSync(p, 'utf8')) as SetupRecord;
    return r && r.schema === 1 && typeof r.files?.binding === 'string' ? r : null;
  } catch {
    return null; // an unreadable record means "not installed": setup rebuilds
  }
}

/** Why an existing install does not serve the wanted one, or null when it does. */
export function staleReason(dir: string, r: SetupRecord | null, want: Want): string | null {
  if (!r) return 'not set up';
  if (r.variant !== want.variant) return `record is for ${r.variant}, not ${want.variant}`;
  if (r.tensorflow.version !== want.version) return `built for TensorFlow ${r.tensorflow.version}, wanted ${want.version}`;
  if (r.tfjsNode.version !== want.tfjsNodeVersion) return `built from ${r.tfjsNode.package} ${r.tfjsNode.version}, node_modules has ${want.tfjsNodeVersion}`;
  if (r.tfjsNode.napi !== want.napi) return `built for N-API ${r.tfjsNode.napi}, this Node wants ${want.napi}`;
  for (const f of [r.files.binding, ...r.files.libraries]) if (!existsSync(join(dir, f))) return `${f} is missing from ${dir}`;
  return null;
}

export function writeRecord(dir: string, r: SetupRecord): void {
  writeFileAtomic(join(dir, RECORD_FILE), JSON.stringify(r, null, 2) + '\n');
}
