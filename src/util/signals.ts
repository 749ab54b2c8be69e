/**
 * Interrupts: SIGINT and SIGTERM run the registered clean-ups (remove partial files, release locks,
 * kill child jobs, restore the terminal's cursor) and exit with 128 + the signal number (130, 143).
 * Clean-ups also run on a normal exit.
 */
const hooks = new Set<() => void>();
let installed = false;
let deferred: ((signal: NodeJS.Signals) => void) | null = null;

function runHooks(): void {
  for (const h of [...hooks].reverse()) {
    try {
      h();
    } catch {
      // a clean-up must never stop the others
    }
  }
  hooks.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runHooks);
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(sig, () => {
      if (deferred) {
        const d = deferred;
        deferred = null;
        d(sig);
        return;
      }
      runHooks();
      process.exit(code);
    });
  }
}

/**
 * A process that can stop gracefully (a queue worker finishing the jobs in hand) takes the first SIGINT or
 * SIGTERM itself; a second one runs the clean-ups and exits as usual.
 */
export function deferFirstSignal(fn: (signal: NodeJS.Signals) => void): void {
  install();
  deferred = fn;
}

/** Register a clean-up; returns a function that unregisters it. */
export function onExit(fn: () => void): () => void {
  install();
  hooks.add(fn);
  return () => hooks.delete(fn);
}

/** The terminal's cursor, hidden by progress bars, is shown again however the process ends. */
export function restoreCursorOnExit(stream: NodeJS.WriteStream = process.stderr): void {
  if (stream.isTTY) onExit(() => stream.write('\u001b[?25h'));
}
