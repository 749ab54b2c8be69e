/** `actbench search` flags: one parser per kind, exit 2 with a coded message, before any work. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-search-flags-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('actbench search flags (issue 19 #4)', () => {
  const out = join(dir, 's');
  const cases: [string[], RegExp][] = [
    [['--seed', '2.5'], /\[CLI_BAD_FLAG\].*--seed expects an integer ≥ 0 ≤ 4294967295, got '2\.5'/],
    [['--seed', String(2 ** 32)], /\[CLI_BAD_FLAG\].*--seed/],
    [['--seed', 'abc'], /\[CLI_BAD_FLAG\].*--seed/],
    [['--fitness', 'fast'], /\[CLI_BAD_FLAG\].*--fitness expects one of accuracy, robust, accuracy\+latency, robust\+latency/],
    [['--population', '2', '--sample', '3'], /\[CLI_BAD_FLAG\].*--sample \(3\) must not exceed --population \(2\)/],
    [['--population', '0'], /\[CLI_BAD_FLAG\].*--population/],
    [['--resume', '--force'], /\[CLI_CONFLICTING_FLAGS\]/],
    [['--lr', '-1'], /\[CLI_BAD_FLAG\].*--lr/],
  ];
  for (const [flags, expected] of cases) {
    it(`refuses ${flags.join(' ')} with exit 2`, () => {
      const r = cli('search', '--out', out, ...flags);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expected);
      assert.equal(existsSync(out), false, 'nothing was written');
    });
  }
  it('rerank --seeds refuses duplicates and non-seeds', () => {
    for (const seeds of ['1,1', '1,2.5', '1,,2']) {
      const r = cli('search', 'rerank', out, '--seeds', seeds);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /\[CLI_BAD_FLAG\].*--seeds/);
    }
  });
});
