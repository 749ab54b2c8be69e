/** Path guards, directory locks, same-run checks and terminal output: the shared boundary modules. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { ActbenchError } from '../../src/errors.js';
import { assertDisjoint, assertFresh } from '../../src/util/paths.js';
import { LOCK_FILE, lockDir } from '../../src/util/lock.js';
import { assertSameRun, diffFields } from '../../src/util/same-run.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-boundaries-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ActbenchError, String(e));
    return e.code;
  }
  return 'none';
};

describe('outputs never touch inputs', () => {
  const data = join(dir, 'data');
  mkdirSync(join(data, 'train'), { recursive: true });
  writeFileSync(join(dir, 'store.jsonl'), '');
  it('refuses an output equal to, inside, or containing an input, also through a symlink', () => {
    const inputs = [{ path: data, what: 'dataset' }, { path: join(dir, 'store.jsonl'), what: 'results store' }];
    assert.equal(code(() => assertDisjoint({ path: data, what: '--out' }, inputs)), 'OUTPUT_TOUCHES_INPUT');
    assert.equal(code(() => assertDisjoint({ path: join(data, 'train', 'c'), what: '--out' }, inputs)), 'OUTPUT_TOUCHES_INPUT');
    assert.equal(code(() => assertDisjoint({ path: dir, what: '--out' }, inputs)), 'OUTPUT_TOUCHES_INPUT');
    assert.equal(code(() => assertDisjoint({ path: join(dir, 'store.jsonl'), what: '--out' }, inputs)), 'OUTPUT_TOUCHES_INPUT');
    symlinkSync(data, join(dir, 'link'));
    assert.equal(code(() => assertDisjoint({ path: join(dir, 'link', 'x'), what: '--out' }, inputs)), 'OUTPUT_TOUCHES_INPUT');
    assert.equal(code(() => assertDisjoint({ path: join(dir, 'data-c'), what: '--out' }, inputs)), 'none', 'a sibling with a common prefix is fine');
  });
  it('property: for random relative paths, refusal ⇔ one is a prefix (by segments) of the other', () => {
    const seg = fc.constantFrom('a', 'b', 'ab');
    fc.assert(
      fc.property(fc.array(seg, { minLength: 1, maxLength: 4 }), fc.array(seg, { minLength: 1, maxLength: 4 }), (o, i) => {
        const prefix = (x: string[], y: string[]) => x.length <= y.length && x.every((s, k) => s === y[k]);
        const expected = prefix(o, i) || prefix(i, o) ? 'OUTPUT_TOUCHES_INPUT' : 'none';
        assert.equal(code(() => assertDisjoint({ path: join(dir, 'p', ...o), what: '--out' }, [{ path: join(dir, 'p', ...i), what: 'input' }])), expected);
      }),
    );
  });
  it('assertFresh refuses an existing path without force', () => {
    assert.equal(code(() => assertFresh(join(dir, 'store.jsonl'), '--out', false)), 'OUTPUT_EXISTS');
    assert.equal(code(() => assertFresh(join(dir, 'store.jsonl'), '--out', true)), 'none');
    assert.equal(code(() => assertFresh(join(dir, 'nothing'), '--out', false)), 'none');
  });
});

describe('directory locks', () => {
  it('a second holder is refused while the first lives; a dead owner’s lock is taken over', async () => {
    const d = join(dir, 'locked');
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `const { lockDir } = await import(${JSON.stringify(new URL('../../src/util/lock.ts', import.meta.url).href)}); lockDir(${JSON.stringify(d)}); console.log('held'); setTimeout(() => {}, 60000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    assert.equal(code(() => lockDir(d)), 'OUTPUT_LOCKED');
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    const lock = lockDir(d); // the owner is gone
    assert.equal(readFileSync(join(d, LOCK_FILE), 'utf8').trim(), String(process.pid));
    lock.release();
    assert.equal(existsSync(join(d, LOCK_FILE)), false);
  });
  it('SIGTERM releases the lock and exits 143; SIGINT exits 130', async () => {
    for (const [sig, status] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const d = join(dir, `sig-${sig}`);
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', `const { lockDir } = await import(${JSON.stringify(new URL('../../src/util/lock.ts', import.meta.url).href)}); lockDir(${JSON.stringify(d)}); console.log('held'); setTimeout(() => {}, 60000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((res) => child.stdout.once('data', () => res()));
      assert.ok(existsSync(join(d, LOCK_FILE)));
      child.kill(sig);
      const exit = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
      assert.equal(exit, status);
      assert.equal(existsSync(join(d, LOCK_FILE)), false, `${sig} released the lock`);
    }
  });
});

describe('resume only the same run', () => {
  it('names every differing field with both values', () => {
    const stored = { model: 'mlp', recipe: { lr: 0.1, milestones: [0.5, 0.75] }, seed: 0 };
    assert.deepEqual(diffFields(stored, { ...stored }), []);
    assert.deepEqual(diffFields(stored, { ...stored, seed: 1, recipe: { lr: 0.05, milestones: [0.5, 0.75] } }), ['recipe.lr', 'seed']);
    assert.deepEqual(diffFields(stored, { ...stored, recipe: { lr: 0.1, milestones: [0.5] } }), ['recipe.milestones']);
    assert.throws(() => assertSameRun('run', 'm/manifest.json', stored, { ...stored, seed: 1 }), (e: ActbenchError) => e.code === 'RESUME_MISMATCH' && /seed: stored 0, requested 1/.test(e.message));
  });
  it('property: a value never differs from its JSON copy, and any changed leaf is reported', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), fc.oneof(fc.integer(), fc.string(), fc.boolean())), fc.integer(), (o, v) => {
        assert.deepEqual(diffFields(o, JSON.parse(JSON.stringify(o))), []);
        const keys = Object.keys(o).filter((k) => k !== '__proto__');
        if (keys.length && o[keys[0]] !== v) assert.deepEqual(diffFields(o, { ...o, [keys[0]]: v }), [keys[0]]);
      }),
    );
  });
});

describe('terminal output', () => {
  it('no escape codes in tables under NO_COLOR or without a TTY', () => {
    const script = `const { table } = await import(${JSON.stringify(new URL('../../src/cli/output.ts', import.meta.url).href)}); const t = table(['a','b']); t.push([1,2]); console.log(t.toString());`;
    for (const env of [{ NO_COLOR: '1', FORCE_COLOR: undefined }, { FORCE_COLOR: undefined, NO_COLOR: undefined }]) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /\u001b\[/, JSON.stringify(env));
      assert.match(r.stdout, /│ a │ b │|\│ a +│ b +│/);
    }
  });
});
