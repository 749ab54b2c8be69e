/**
 * The output directory of `actbench corrupt`, guarded: it never touches an input, one run at a time holds
 * it (a lock), and a rerun resumes only the recipe its manifest records. Another recipe is refused, or with
 * `force` the old outputs are removed first, in an order that a kill at any point cannot turn into a
 * mixed set (see discardOutputs).
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ActbenchError, fsError } from '../errors.js';
import { lockDir, type DirLock } from '../util/lock.js';
import { assertDisjoint, type NamedPath } from '../util/paths.js';
import { assertSameRun, diffFields } from '../util/same-run.js';
import { CORRUPTION_MANIFEST, corruptionRecipe, readCorruptionManifest, writeCorruptionManifest, type CorruptionManifest, type CorruptionRecipe } from './manifest.js';
import { CORRUPTIONS } from './presets.js';

/** where a forced regeneration moves the old outputs before deleting them */
export const DISCARD_DIR = '.actbench-discard';

/** Entries of an output directory that a corruption run writes (either layout), and its temporaries. */
export function isCorruptOutput(name: string): boolean {
  if (name === 'labels.npy' || name === CORRUPTION_MANIFEST) return true;
  if (/^\.(labels\.npy|manifest\.json)\.\d+\.tmp$/.test(name)) return true;
  return (CORRUPTIONS as readonly string[]).some((c) => name === c || name === `${c}.npy` || name.startsWith(`${c}.npy.`) || name.startsWith(`.${c}.npy.`));
}

export interface CorruptOutput {
  dir: string;
  /** the stored manifest said complete and had this recipe */
  resumed: boolean;
  /** mark the set complete (after every file is whole) */
  complete(): void;
  release(): void;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw fsError(e, dir, 'list');
  }
}

/**
 * Remove every corruption output before a forced regeneration. First a manifest that matches no recipe
 * (so a kill while clearing leaves a set that neither claims to be complete nor resumes into a mix), then
 * each entry moved aside with one rename, then the lot deleted.
 */
function discardOutputs(dir: string, recipe: CorruptionRecipe): void {
  writeCorruptionManifest(dir, { ...recipe, status: 'in-progress', generator: 'none: old outputs were being cleared (rerun with --force)' });
  const trash = join(dir, DISCARD_DIR);
  try {
    mkdirSync(trash, { recursive: true });
    for (const name of listDir(dir)) if (name !== CORRUPTION_MANIFEST && isCorruptOutput(name)) renameSync(join(dir, name), join(trash, name));
    rmSync(trash, { recursive: true, force: true });
  } catch (e) {
    throw fsError(e, trash, 'clear old outputs into');
  }
}

/**
 * Check, lock and prepare `dir` for a run of `recipe`: refuses an output touching an input
 * (OUTPUT_TOUCHES_INPUT), a directory in use (OUTPUT_LOCKED), another recipe (RESUME_MISMATCH) and
 * outputs of unknown origin (OUTPUT_EXISTS) unless `force`; then writes the manifest as in progress.
 */
export function openCorruptOutput(dir: string, recipe: CorruptionRecipe, o: { force?: boolean; inputs?: NamedPath[] }): CorruptOutput {
  assertDisjoint({ path: dir, what: '--out' }, o.inputs ?? []);
  let st;
  try {
    st = statSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    throw fsError(e, dir, 'use as the output directory');
  }
  if (st && !st.isDirectory()) throw new ActbenchError('OUTPUT_NOT_DIR', `--out ${dir} is a file, a directory was expected`, { file: dir, field: '--out' });
  let lock: DirLock;
  try {
    lock = lockDir(dir, 'corruption output directory');
  } catch (e) {
    throw fsError(e, dir, 'create the output directory');
  }
  try {
    rmSync(join(dir, DISCARD_DIR), { recursive: true, force: true });
    let stored: CorruptionManifest | null;
    try {
      stored = readCorruptionManifest(dir, { allowIncomplete: true });
    } catch (e) {
      if (!(o.force && e instanceof ActbenchError && e.code === 'CORRUPT_BAD_MANIFEST')) throw e;
      stored = null; // unreadable, and regenerating was asked for
    }
    let resumed = false;
    if (stored) {
      const file = join(dir, CORRUPTION_MANIFEST);
      const differs = diffFields(corruptionRecipe(stored), recipe).length > 0;
      if (differs && !o.force) assertSameRun('corruption set', file, corruptionRecipe(stored), recipe, 'use another --out, or --force to regenerate it (its old outputs are deleted)');
      if (differs) discardOutputs(dir, recipe);
      else resumed = stored.status === 'complete';
    } else {
      const found = listDir(dir).filter((n) => n !== CORRUPTION_MANIFEST && isCorruptOutput(n));
      if (found.length && !o.force) {
        throw new ActbenchError('OUTPUT_EXISTS', `--out ${dir} already holds ${found.slice(0, 3).join(', ')}${found.length > 3 ? ` and ${found.length - 3} more` : ''} but no manifest.json saying how they were made: choose another --out, or --force to replace them`, { file: dir, field: '--out' });
      }
      if (found.length) discardOutputs(dir, recipe);
    }
    const { version, ...rest } = recipe;
    const manifest: CorruptionManifest = { version, status: 'in-progress', ...rest };
    writeCorruptionManifest(dir, manifest);
    return {
      dir,
      resumed,
      complete: () => writeCorruptionManifest(dir, { ...manifest, status: 'complete' }),
      release: () => lock.release(),
    };
  } catch (e) {
    lock.release();
    throw e;
  }
}

