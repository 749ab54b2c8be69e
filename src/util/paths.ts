/**
 * Path guards, used by every verb before any work: an output never equals, lies inside, or contains one of
 * the verb's inputs, and nothing a user made is replaced without --force.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { ActbenchError } from '../errors.js';

/** The canonical absolute form of a path that may not exist yet (its nearest existing parent resolved). */
export function canonical(p: string): string {
  const abs = resolve(p);
  let head = abs;
  const tail: string[] = [];
  while (!existsSync(head)) {
    const up = dirname(head);
    if (up === head) break;
    tail.unshift(head.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
    head = up;
  }
  const real = existsSync(head) ? realpathSync(head) : head;
  return tail.length ? resolve(real, ...tail) : real;
}

const within = (inner: string, outer: string) => inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);

export interface NamedPath {
  path: string;
  /** what the path is to the user: 'dataset', 'results store', 'model', 'run' … */
  what: string;
}

/**
 * Refuse an output that is, is inside, or contains an input (so writing it can never touch the input).
 * `output.what` is the flag or role of the output, e.g. '--out'.
 */
export function assertDisjoint(output: NamedPath, inputs: NamedPath[]): void {
  const out = canonical(output.path);
  for (const input of inputs) {
    if (!input.path) continue;
    const inp = canonical(input.path);
    const how = out === inp ? 'is' : within(out, inp) ? 'is inside' : within(inp, out) ? 'contains' : null;
    if (how) {
      throw new ActbenchError('OUTPUT_TOUCHES_INPUT', `${output.what} ${output.path} ${how} the ${input.what} ${input.path}: choose an output outside every input`, {
        file: output.path,
        field: output.what,
      });
    }
  }
}

/** Refuse to replace an existing file or directory the user made unless `force`. */
export function assertFresh(path: string, what: string, force: boolean | undefined, hint = 'pass --force to replace it'): void {
  if (!force && existsSync(path)) throw new ActbenchError('OUTPUT_EXISTS', `${what} ${path} already exists: ${hint}`, { file: path, field: what });
}
