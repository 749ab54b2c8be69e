/**
 * Terminal output for every verb: colour only on a TTY and never under NO_COLOR (or TERM=dumb), progress
 * bars that draw only on a TTY and always give the cursor back, tables without escape codes in pipes.
 */
import { Presets, SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { restoreCursorOnExit } from '../util/signals.js';

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.TERM === 'dumb') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY;
}

export function table(head: string[], extra: Omit<Table.TableConstructorOptions, 'head' | 'style'> = {}): Table.Table {
  const color = useColor();
  return new Table({ head, ...extra, style: color ? {} : { head: [], border: [] } });
}

/** A progress bar on stderr: drawn on a TTY, a line every 5 s otherwise; the cursor is restored on any exit. */
export function progressBar(format: string): SingleBar {
  const tty = !!process.stderr.isTTY;
  if (tty) restoreCursorOnExit(process.stderr);
  return new SingleBar({ format, hideCursor: tty, noTTYOutput: !tty, notTTYSchedule: 5000, stream: process.stderr }, Presets.shades_classic);
}
