/**
 * An exclusive lock on an output directory, so two runs never write one output (two seeds mixed in one
 * CIFAR-C file, two trainings in one run directory). The lock is a file created with O_EXCL holding the
 * owner's pid; a lock whose owner is gone (killed with -9) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { ensureDir } from './mkdir.js';
import { dirname, join } from 'node:path';
import { ActbenchError } from '../errors.js';
import { onExit } from './signals.js';
import { pidAlive } from './pid.js';

export const LOCK_FILE = '.actbench.lock';

export interface DirLock {
  dir: string;
  release(): void;
}

const held = new Map<string, number>();

export function lockDir(dir: string, what = 'output directory'): DirLock {
  ensureDir(dir, what);
  return lockFile(join(dir, LOCK_FILE), what, dir);
}

/** The same lock as a named file (e.g. `<results>.jsonl.lock` next to one file); `dir` is what it guards. */
export function lockFile(file: string, what: string, dir: string): DirLock {
  ensureDir(dirname(file), what);
  // re-entrant within one process (a verb and the library call under it may both lock)
  const depth = held.get(file);
  if (depth !== undefined) {
    held.set(file, depth + 1);
    return { dir, release: () => releaseOne(file) };
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      held.set(file, 1);
      const off = onExit(() => rmSync(file, { force: true }));
      return {
        dir,
        release: () => {
          if (releaseOne(file)) off();
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ActbenchError('OUTPUT_UNWRITABLE', `cannot create ${file}: ${(e as Error).message}`, { file });
      }
      let owner = NaN;
      try {
        owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      } catch {
        // vanished between open and read: retry
      }
      if (Number.isInteger(owner) && owner !== process.pid && pidAlive(owner)) {
        throw new ActbenchError('OUTPUT_LOCKED', `${what} ${dir} is in use by process ${owner} (lock ${file}); wait for it or stop it`, { file });
      }
      rmSync(file, { force: true }); // stale: its owner died
    }
  }
  throw new ActbenchError('OUTPUT_LOCKED', `could not lock ${what} ${dir} (${file})`, { file });
}

function releaseOne(file: string): boolean {
  const d = held.get(file);
  if (d === undefined) return false;
  if (d > 1) {
    held.set(file, d - 1);
    return false;
  }
  held.delete(file);
  rmSync(file, { force: true });
  return true;
}

/** Run `fn` holding the lock on `dir`. */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>, what?: string): Promise<T> {
  const lock = lockDir(dir, what);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
