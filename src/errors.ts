/**
 * Every error a user can cause is an ActbenchError: a machine-readable code, the file or field at fault,
 * and a message that says what was expected. The CLI only formats these.
 */
export class ActbenchError extends Error {
  readonly code: string;
  readonly file?: string;
  readonly field?: string;
  /** the CLI's exit status for this error: 2 for usage (flags), 1 otherwise, 3 for a run that stopped */
  readonly exit: number;
  constructor(code: string, message: string, where: { file?: string; field?: string; exit?: number } = {}) {
    super(message);
    this.name = 'ActbenchError';
    this.code = code;
    this.file = where.file;
    this.field = where.field;
    this.exit = where.exit ?? 1;
  }
}

/** A syntax or name error in an activation expression, pointing at the offending character. */
export class ExpressionError extends ActbenchError {
  readonly source: string;
  readonly position: number;
  constructor(code: string, message: string, source: string, position: number) {
    super(code, `${message}\n  ${source}\n  ${' '.repeat(Math.max(0, position))}^`, { field: 'expression' });
    this.name = 'ExpressionError';
    this.source = source;
    this.position = position;
  }
}

/** Levenshtein distance, for "did you mean" suggestions on unknown names. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

export function closeMatches(name: string, candidates: Iterable<string>, max = 3): string[] {
  return [...candidates]
    .map((c) => ({ c, d: editDistance(name.toLowerCase(), c.toLowerCase()) }))
    .filter(({ c, d }) => d <= Math.max(2, Math.floor(c.length / 3)) || c.startsWith(name) || name.startsWith(c))
    .sort((a, b) => a.d - b.d)
    .slice(0, max)
    .map(({ c }) => c);
}

/** Node's filesystem errors (ENOENT, EISDIR, EACCES, ENOSPC …) as coded errors naming the path. */
export function fsError(e: unknown, path: string, doing: string): ActbenchError {
  const err = e as NodeJS.ErrnoException;
  if (e instanceof ActbenchError) return e;
  const why: Record<string, string> = {
    ENOENT: 'does not exist', EISDIR: 'is a directory, a file was expected', ENOTDIR: 'is not a directory (or a parent is a file)',
    EACCES: 'permission denied', EPERM: 'operation not permitted', ENOSPC: 'no space left on the device', EROFS: 'read-only file system',
    EMFILE: 'too many open files', EEXIST: 'already exists',
  };
  const code = err?.code ?? 'EIO';
  return new ActbenchError(`FS_${code}`, `cannot ${doing} ${path}: ${why[code] ?? err?.message ?? String(e)}`, { file: path });
}
