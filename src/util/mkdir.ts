/**
 * `mkdir -p` that fails instead of hanging: Node 20's `mkdirSync(dir, { recursive: true })` loops forever
 * where a parent refuses new entries with ENOENT (under /proc, for one). Missing ancestors are created one
 * by one, top down; any refusal is OUTPUT_UNWRITABLE naming the directory.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ActbenchError } from '../errors.js';

export function ensureDir(dir: string, what = 'output directory'): void {
  const missing: string[] = [];
  let d = resolve(dir);
  for (;;) {
    try {
      if (!statSync(d).isDirectory()) throw new ActbenchError('OUTPUT_NOT_DIR', `${what} ${dir}: ${d} is a file, not a directory`, { file: d });
      break;
    } catch (e) {
      if (e instanceof ActbenchError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new ActbenchError(code === 'ENOTDIR' ? 'OUTPUT_NOT_DIR' : 'OUTPUT_UNWRITABLE', `${what} ${dir}: cannot use ${d}: ${(e as Error).message}`, { file: d });
      missing.push(d);
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // made meanwhile by another process
      throw new ActbenchError('OUTPUT_UNWRITABLE', `cannot create the ${what} ${dir}: ${(e as Error).message}`, { file: m });
    }
  }
}
