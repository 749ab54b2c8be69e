/**
 * Flag value parsers, one per kind of value; every verb uses these so a domain is checked once. Each error
 * names the flag and the expected form; main.ts prints it as `[CLI_BAD_FLAG]` with exit 2.
 */
import { InvalidArgumentError } from 'commander';

/** Seeds index numpy's MT19937 and mulberry32, both 32-bit: larger values would alias smaller ones. */
export const MAX_SEED = 2 ** 32 - 1;

const fail = (flag: string, expected: string, v: string): never => {
  throw new InvalidArgumentError(`${flag} expects ${expected}, got '${v}'`);
};

/** A decimal integer literal: no '2.5', no '1e3', no '0x10', no empty string. */
function parseIntStrict(flag: string, v: string, expected: string): number {
  const s = v.trim();
  if (!/^[+-]?\d+$/.test(s)) fail(flag, expected, v);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) fail(flag, expected, v);
  return n;
}

function parseNumberStrict(flag: string, v: string, expected: string): number {
  const s = v.trim();
  // Number('') is 0 and Number('0x1') is 1: accept decimal and exponent forms only
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) fail(flag, expected, v);
  const n = Number(s);
  if (!Number.isFinite(n)) fail(flag, expected, v);
  return n;
}

export const integer = (flag: string, o: { min?: number; max?: number } = {}) => (v: string): number => {
  const lo = o.min ?? Number.MIN_SAFE_INTEGER;
  const hi = o.max ?? Number.MAX_SAFE_INTEGER;
  const expected = `an integer${o.min !== undefined ? ` ≥ ${lo}` : ''}${o.max !== undefined ? ` ≤ ${hi}` : ''}`;
  const n = parseIntStrict(flag, v, expected);
  if (n < lo || n > hi) fail(flag, expected, v);
  return n;
};

export const positiveInt = (flag: string, max?: number) => integer(flag, { min: 1, max });

export const nonNegativeInt = (flag: string, max?: number) => integer(flag, { min: 0, max });

/** Seeds: integers in [0, 2³²−1] (every value, 0 included, is a real seed). */
export const seed = (flag: string) => integer(flag, { min: 0, max: MAX_SEED });

/** A real number in a range; `open` ends exclude the bound. */
export const number = (flag: string, o: { min?: number; max?: number; minOpen?: boolean; maxOpen?: boolean } = {}) => (v: string): number => {
  const lo = o.min === undefined ? '' : o.minOpen ? `> ${o.min}` : `≥ ${o.min}`;
  const hi = o.max === undefined ? '' : o.maxOpen ? `< ${o.max}` : `≤ ${o.max}`;
  const expected = `a finite number${lo ? ` ${lo}` : ''}${lo && hi ? ' and' : ''}${hi ? ` ${hi}` : ''}`;
  const n = parseNumberStrict(flag, v, expected);
  if (o.min !== undefined && (o.minOpen ? n <= o.min : n < o.min)) fail(flag, expected, v);
  if (o.max !== undefined && (o.maxOpen ? n >= o.max : n > o.max)) fail(flag, expected, v);
  return n;
};

export const positiveNumber = (flag: string) => number(flag, { min: 0, minOpen: true });
export const nonNegativeNumber = (flag: string) => number(flag, { min: 0 });
/** A probability-like rate in [0, 1) (dropout, validation fraction). */
export const rate = (flag: string) => number(flag, { min: 0, max: 1, maxOpen: true });

/** One of a closed set of words. */
export const choice = <T extends string>(flag: string, values: readonly T[]) => (v: string): T => {
  if (!(values as readonly string[]).includes(v)) fail(flag, `one of ${values.join(', ')}`, v);
  return v as T;
};

/**
 * A comma list: no empty items, no duplicates (a duplicated seed or batch size would double-count a
 * result), at least one item; each item parsed by `item`.
 */
export const list = <T>(flag: string, item: (v: string) => T, what = 'items') => (v: string): T[] => {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.every((p) => p === '')) fail(flag, `a comma-separated list of ${what}`, v);
  const empty = parts.findIndex((p) => p === '');
  if (empty >= 0) fail(flag, `a comma-separated list of ${what} without empty items (item ${empty + 1} is empty)`, v);
  const dup = parts.find((p, k) => parts.indexOf(p) !== k);
  if (dup !== undefined) fail(flag, `a comma-separated list of ${what} without duplicates ('${dup}' repeats)`, v);
  return parts.map((p) => {
    try {
      return item(p);
    } catch (e) {
      throw new InvalidArgumentError(`${flag}: item '${p}': ${(e as Error).message}`);
    }
  });
};

export const intList = (flag: string, o: { min?: number; max?: number } = { min: 1 }) => list(flag, integer(flag, o), 'integers');
export const seedList = (flag: string) => list(flag, seed(flag), 'seeds');
export const numberList = (flag: string, o: { min?: number; max?: number } = { min: 0 }) => list(flag, number(flag, o), 'numbers');
export const wordList = (flag: string) => list(flag, (s: string) => s, 'names');

/** Comma-separated positive integers where repeats are meaningful (shapes such as 1,64,16,16 or h,w,c). */
export const shape = (flag: string, n?: number) => (v: string): number[] => {
  const expected = n === undefined ? 'comma-separated positive integers such as 128,64,16,16' : `${n} comma-separated positive integers`;
  const parts = v.split(',');
  if (n !== undefined && parts.length !== n) fail(flag, expected, v);
  return parts.map((p) => {
    const d = parseIntStrict(flag, p, expected);
    if (d < 1) fail(flag, expected, v);
    return d;
  });
};

export const numberPair = (flag: string) => (v: string): [number, number] => {
  const parts = v.split(',');
  if (parts.length !== 2) fail(flag, 'lo,hi such as -6,6', v);
  const [lo, hi] = parts.map((p) => parseNumberStrict(flag, p, 'lo,hi such as -6,6'));
  if (!(lo < hi)) fail(flag, 'lo,hi with lo < hi', v);
  return [lo, hi];
};

/** `name=number` pairs, comma-separated, each name once (e.g. --weights clean=1,robust=2,latency=0.5). */
export const numberMap = (flag: string, o: { min?: number } = { min: 0 }) => (v: string): Record<string, number> => {
  const expected = 'comma-separated name=number pairs such as clean=1,robust=2';
  const out: Record<string, number> = {};
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) fail(flag, expected, v);
    const name = part.slice(0, eq).trim();
    if (name in out) fail(flag, `${expected}, each name once ('${name}' repeats)`, v);
    out[name] = number(flag, o)(part.slice(eq + 1));
  }
  return out;
};
