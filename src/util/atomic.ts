/** Atomic file output: write to a temporary sibling, then rename, so a failure never leaves half a file. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { ensureDir } from './mkdir.js';
import { dirname, join, basename } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  ensureDir(dirname(path));
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
