/** Output directories: created top down, and a refusal is a coded error instead of Node 20's endless loop. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lockDir } from '../../src/util/lock.js';
import { ensureDir } from '../../src/util/mkdir.js';
import { coded } from '../coded.js';


describe('ensureDir', () => {
  it('creates every missing level, and an existing directory is fine', () => {
    const root = mkdtempSync(join(tmpdir(), 'ab-mkdir-'));
    try {
      ensureDir(join(root, 'a', 'b', 'c'));
      assert.ok(statSync(join(root, 'a', 'b', 'c')).isDirectory());
      ensureDir(join(root, 'a', 'b'));
      const file = join(root, 'f');
      writeFileSync(file, 'x');
      assert.throws(() => ensureDir(join(file, 'sub')), coded('OUTPUT_NOT_DIR'));
      assert.throws(() => ensureDir(file), coded('OUTPUT_NOT_DIR'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  it('under /proc (mkdirSync recursive hangs there in Node 20): OUTPUT_UNWRITABLE at once, also through lockDir', () => {
    const t0 = Date.now();
    assert.throws(() => ensureDir('/proc/actbench-test/out'), coded('OUTPUT_UNWRITABLE'));
    assert.throws(() => lockDir('/proc/actbench-test'), coded('OUTPUT_UNWRITABLE', /actbench-test/));
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(existsSync('/proc/actbench-test'), false);
  });
});
