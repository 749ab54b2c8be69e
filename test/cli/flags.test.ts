/** The flag parsers (one per kind of value) at and around every domain's edges, and their CLI format. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { choice, integer, intList, list, MAX_SEED, number, numberPair, rate, seed, seedList, shape } from '../../src/cli/parse-flags.js';
import { cli } from '../helpers.js';

const refuses = (f: (v: string) => unknown, v: string) => assert.throws(() => f(v), InvalidArgumentError, `'${v}' should be refused`);

describe('integer and seed flags', () => {
  it('a seed is an integer in [0, 2³²−1]: 2.5, 1e3, 0x10, empty, 2³² and −1 are refused', () => {
    const p = seed('--seed');
    assert.equal(p('0'), 0);
    assert.equal(p(String(MAX_SEED)), MAX_SEED);
    for (const v of ['2.5', '1e3', '0x10', '', ' ', 'abc', 'NaN', String(2 ** 32), '-1', '1,2']) refuses(p, v);
  });
  it('property: integer() accepts exactly the decimal integers inside its range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 100 }), (v, lo, span) => {
        const p = integer('--n', { min: lo, max: lo + span });
        const inside = v >= lo && v <= lo + span;
        if (inside) assert.equal(p(String(v)), v);
        else refuses(p, String(v));
        refuses(p, `${v}.5`);
      }),
    );
  });
  it('property: any double that is not an integer is refused by seed()', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: false }), (d) => {
        const p = seed('--seed');
        const s = String(d);
        if (Number.isInteger(d) && d >= 0 && d <= MAX_SEED && /^\d+$/.test(s)) assert.equal(p(s), Number(s));
        else refuses(p, s);
      }),
    );
  });
});

describe('number, rate and pair flags', () => {
  it('rate() is [0, 1): 1, −0.1, Infinity, NaN are refused', () => {
    const p = rate('--dropout');
    assert.equal(p('0'), 0);
    assert.equal(p('0.999'), 0.999);
    for (const v of ['1', '1.0', '-0.1', 'Infinity', 'NaN', '', '1e999', '0x1']) refuses(p, v);
  });
  it('property: number() bounds hold for open and closed ends', () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.boolean(), (v, open) => {
        const p = number('--x', { min: 0, minOpen: open, max: 1 });
        const ok = (open ? v > 0 : v >= 0) && v <= 1;
        const s = v.toString();
        if (/e/i.test(s) && !/^[+-]?\d/.test(s)) return;
        if (ok) assert.equal(p(s), Number(s));
        else refuses(p, s);
      }),
    );
  });
  it('numberPair needs lo < hi', () => {
    assert.deepEqual(numberPair('--range')('-6,6'), [-6, 6]);
    for (const v of ['6,-6', '1,1', '1', '1,2,3', 'a,b']) refuses(numberPair('--range'), v);
  });
});

describe('enum and list flags', () => {
  it('choice() refuses anything outside the set, naming the set', () => {
    const p = choice('--split', ['test', 'train'] as const);
    assert.equal(p('train'), 'train');
    assert.throws(() => p('val'), /--split expects one of test, train, got 'val'/);
  });
  it('lists refuse empty items, duplicates and empty lists; shapes allow repeats', () => {
    assert.deepEqual(intList('--batches')('1,8,32'), [1, 8, 32]);
    assert.throws(() => intList('--batches')('1,,8'), /item 2 is empty/);
    assert.throws(() => intList('--batches')('8,8'), /'8' repeats/);
    assert.throws(() => seedList('--seeds')(''), /comma-separated list/);
    assert.throws(() => seedList('--seeds')('1,2.5'), /item '2.5'/);
    assert.deepEqual(shape('--shape')('1,64,16,16'), [1, 64, 16, 16]);
    assert.throws(() => shape('--input', 3)('28,28'), /3 comma-separated positive integers/);
  });
  it('property: a list of distinct items parses back to the items', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 1e6 }), { minLength: 1, maxLength: 8 }), (xs) => {
        assert.deepEqual(intList('--n')(xs.join(',')), xs);
        if (xs.length > 1) refuses(intList('--n'), [...xs, xs[0]].join(','));
        refuses(list('--n', String), `${xs.join(',')},`);
      }),
    );
  });
});

describe('flag errors through the CLI', () => {
  it('commander parse errors carry a code, exit 2, and no stack trace', () => {
    const seedBad = cli('models', '--classes', '2.5');
    assert.equal(seedBad.code, 2);
    assert.match(seedBad.stderr, /^actbench: error \[CLI_BAD_FLAG\]: option '--classes <n>' argument '2.5' is invalid\. --classes expects an integer ≥ 2/m);
    assert.doesNotMatch(seedBad.stderr, /\n\s+at /);
    const unknown = cli('models', '--modle', 'mlp');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /\[CLI_UNKNOWN_FLAG\]/);
    const verb = cli('trian');
    assert.equal(verb.code, 2);
    assert.match(verb.stderr, /\[CLI_UNKNOWN_COMMAND\]/);
    const help = cli('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: actbench/);
  });
});
