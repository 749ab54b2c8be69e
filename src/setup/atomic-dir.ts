/**
 * Install directories appear whole or not at all: work happens in `.tmp-<variant>-<pid>-…` beside the
 * target and is renamed into place at the end. A run that is killed leaves only such a folder, which the
 * next run removes once its pid is gone; a lock file keeps two setups of one variant apart.
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ActbenchError } from '../errors.js';
import { pidAlive } from '../util/pid.js';

/** Remove `.tmp-*` and `.old-*` leftovers of dead processes under `root`; returns what was removed. */
export function removeStale(root: string): string[] {
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const m = /^\.(tmp|old)-[a-z]+-(\d+)-/.exec(name);
    if (m && !pidAlive(Number(m[2]))) {
      rmSync(join(root, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

export function makeTemp(target: string): string {
  mkdirSync(dirname(target), { recursive: true });
  return mkdtempSync(join(dirname(target), `.tmp-${basename(target)}-${process.pid}-`));
}

/** Swap `tmp` into `target`: the old install (if any) is moved aside first, then deleted. */
export function commit(tmp: string, target: string): void {
  let old: string | null = null;
  if (existsSync(target)) {
    old = join(dirname(target), `.old-${basename(target)}-${process.pid}-${Date.now()}`);
    renameSync(target, old);
  }
  try {
    renameSync(tmp, target);
  } catch (e) {
    if (old) renameSync(old, target);
    throw e;
  }
  if (old) rmSync(old, { recursive: true, force: true });
}

/** An exclusive lock file; a stale one (dead pid) is taken over. */
export function lock(target: string): () => void {
  mkdirSync(dirname(target), { recursive: true });
  const path = join(dirname(target), `.lock-${basename(target)}`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (pidAlive(pid) && pid !== process.pid) {
        throw new ActbenchError('TF_SETUP_BUSY', `another setup (pid ${pid}) is installing into ${target}; wait for it or remove ${path} if it is gone`, { file: path });
      }
      rmSync(path, { force: true });
    }
  }
  throw new ActbenchError('TF_SETUP_BUSY', `cannot take the lock ${path}`, { file: path });
}
