/** The results store (issue 9 #10, issue 19 #9): torn tails repaired, foreign files refused, records validated by line. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { ActbenchError } from '../../src/errors.js';
import { parseStore, recordProblem, ResultsStore, RESULTS_SCHEMA_VERSION, type EvalRecord } from '../../src/results/store.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const rec = (k: number): EvalRecord => ({
  kind: 'eval', model: 'm.onnx', modelHash: 'abc', dataset: 'd', corruption: k === 0 ? null : 'fog', severity: k === 0 ? null : k, top1: 0.5, top5: 0.9, n: 10, nonFinite: 0,
  provider: 'cpu', requestedProvider: 'cpu', optLevel: 'basic', seconds: 0.1, provenance: { actbench: '0.1.0', machine: 'x', time: 't' },
});
const line = (k: number) => JSON.stringify(rec(k)) + '\n';
const quiet = () => {};

describe('results store', () => {
  it('a torn last line never swallows the next record: moved to .torn, the whole records kept', () => {
    const f = join(dir, 'torn.jsonl');
    const torn = line(2).slice(0, 40);
    writeFileSync(f, line(0) + line(1) + torn);
    const said: string[] = [];
    const s = new ResultsStore(f, (l) => said.push(l));
    assert.equal(s.read().length, 2, 'reading skips the torn tail and writes nothing');
    assert.equal(readFileSync(f, 'utf8'), line(0) + line(1) + torn);
    s.append(rec(3));
    assert.deepEqual(s.read().map((r) => (r as EvalRecord).severity), [null, 1, 3]);
    assert.equal(readFileSync(`${f}.torn`, 'utf8'), torn + '\n');
    assert.match(said[0], /torn.*moved it to .*\.torn/);
  });

  it('a whole last record without its newline gets one (not merged with the next)', () => {
    const f = join(dir, 'unterminated.jsonl');
    writeFileSync(f, line(0) + line(1).trimEnd());
    const s = new ResultsStore(f, quiet);
    s.append(rec(2));
    assert.equal(s.read().length, 3);
    assert.equal(existsSync(`${f}.torn`), false);
  });

  it('property: any cut of the last record, then an append, keeps every whole record and the new one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: line(1).length - 1 }), (cut) => {
        const f = join(dir, `cut-${cut}.jsonl`);
        writeFileSync(f, line(0) + line(1).slice(0, cut));
        const s = new ResultsStore(f, quiet);
        s.append(rec(4));
        const sev = s.read().map((r) => (r as EvalRecord).severity);
        // a cut just before the newline leaves a whole record: it is kept
        assert.deepEqual(sev, cut === line(1).length - 1 ? [null, 1, 4] : [null, 4]);
        rmSync(f);
        rmSync(`${f}.torn`, { force: true });
      }),
      { numRuns: 60 },
    );
  });

  it('a file that is not a results store is refused before any write and left byte-identical', () => {
    const cases: [string, string][] = [
      ['some.json', '{\n  "a": 1,\n  "b": [1, 2]\n}\n'],
      ['one-line.json', '{"a":1}'],
      ['table.csv', 'model,top1\nm,0.5\n'],
      ['notes.txt', 'hello'],
      ['other.jsonl', '{"kind":"train","x":1}\n{"kind":"train","x":2}\n'],
    ];
    for (const [name, text] of cases) {
      const f = join(dir, name);
      writeFileSync(f, text);
      const s = new ResultsStore(f, quiet);
      assert.throws(() => s.prepareAppend(), (e: unknown) => e instanceof ActbenchError && e.code === 'RESULTS_NOT_A_STORE' && e.file === f && e.field === 'line 1', name);
      assert.throws(() => s.append(rec(1)), (e: unknown) => e instanceof ActbenchError && e.code === 'RESULTS_NOT_A_STORE', name);
      assert.equal(readFileSync(f, 'utf8'), text, `${name} untouched`);
      assert.equal(existsSync(`${f}.torn`), false);
    }
  });

  it('a malformed record is refused with its line number and field', () => {
    const f = join(dir, 'bad.jsonl');
    const bad = { ...rec(2), top1: 'high' };
    writeFileSync(f, line(0) + line(1) + JSON.stringify(bad) + '\n' + line(3));
    assert.throws(() => new ResultsStore(f).read(), (e: unknown) => e instanceof ActbenchError && e.code === 'RESULTS_BAD_RECORD' && e.field === 'line 3' && /line 3: field 'top1' must be a number in \[0, 1\], got "high"/.test(e.message));
    writeFileSync(f, line(0) + '{"kind":"eval", oops\n' + line(1));
    assert.throws(() => new ResultsStore(f).read(), (e: unknown) => e instanceof ActbenchError && e.code === 'RESULTS_BAD_RECORD' && e.field === 'line 2' && /not valid JSON/.test(e.message));
    writeFileSync(f, line(0) + JSON.stringify({ ...rec(1), kind: 'evil' }) + '\n');
    assert.throws(() => new ResultsStore(f).read(), (e: unknown) => e instanceof ActbenchError && e.field === 'line 2' && /kind must be 'eval' or 'bench'/.test(e.message));
  });

  it('schemaVersion: written on append (after kind), old records without it read as version 1, a newer one refused by line', () => {
    const f = join(dir, 'versions.jsonl');
    writeFileSync(f, line(0)); // a record from before schemaVersion existed
    const s = new ResultsStore(f, quiet);
    assert.equal(RESULTS_SCHEMA_VERSION, 1);
    const stored = s.append(rec(1));
    const lines = readFileSync(f, 'utf8').split('\n');
    assert.equal(lines[0], line(0).trimEnd(), 'the old record is left as it was');
    assert.match(lines[1], /^\{"kind":"eval","schemaVersion":1,"model":/);
    assert.deepEqual(JSON.parse(lines[1]), stored);
    assert.deepEqual(JSON.parse(lines[1]), { ...rec(1), schemaVersion: 1 });
    const back = s.read();
    assert.deepEqual(back.map((r) => r.schemaVersion), [1, 1]);
    assert.deepEqual(back[0], { ...rec(0), schemaVersion: 1 }, 'an old record reads as version 1, otherwise unchanged');
    assert.deepEqual(back[1], stored);
    // a record from a newer actbench: a coded error naming the line, for readers and appenders alike
    writeFileSync(f, line(0) + JSON.stringify({ ...rec(1), schemaVersion: 2 }) + '\n');
    const future = (e: unknown) => e instanceof ActbenchError && e.code === 'RESULTS_FUTURE_VERSION' && e.file === f && e.field === 'line 2' && /line 2: schemaVersion 2 is newer than this actbench reads \(1\)/.test(e.message);
    assert.throws(() => new ResultsStore(f).read(), future);
    const before = readFileSync(f, 'utf8');
    assert.throws(() => new ResultsStore(f, quiet).append(rec(3)), future);
    assert.equal(readFileSync(f, 'utf8'), before, 'nothing appended to a store a newer actbench wrote');
    // a future version on the first line is still that, not "not a store"
    writeFileSync(f, JSON.stringify({ kind: 'bench', schemaVersion: 7 }) + '\n');
    assert.throws(() => new ResultsStore(f).read(), (e: unknown) => e instanceof ActbenchError && e.code === 'RESULTS_FUTURE_VERSION' && e.field === 'line 1');
    for (const bad of [0, 1.5, '1', null]) {
      writeFileSync(f, line(0) + JSON.stringify({ ...rec(1), schemaVersion: bad }) + '\n');
      assert.throws(() => new ResultsStore(f).read(), (e: unknown) => e instanceof ActbenchError && e.code === 'RESULTS_BAD_RECORD' && e.field === 'line 2' && /'schemaVersion' must be a positive integer/.test(e.message), String(bad));
    }
  });

  it('property: dropping or mistyping any required field of a record is caught', () => {
    const required = ['model', 'modelHash', 'dataset', 'corruption', 'severity', 'top1', 'top5', 'n', 'provider', 'requestedProvider', 'optLevel', 'seconds', 'provenance'];
    fc.assert(
      fc.property(fc.constantFrom(...required), fc.oneof(fc.constant(undefined), fc.constant('x'), fc.constant(-1), fc.constant(1.5), fc.constant({})), (field, value) => {
        const r = { ...rec(1), [field]: value } as Record<string, unknown>;
        const p = recordProblem(r);
        const legal = (field === 'corruption' && value === 'x') || (['model', 'modelHash', 'dataset', 'provider', 'requestedProvider', 'optLevel'].includes(field) && value === 'x') || (field === 'seconds' && (value === -1 || value === 1.5));
        if (legal) assert.equal(p, null);
        else assert.equal(p?.field, field);
      }),
      { numRuns: 300 },
    );
    assert.equal(parseStore('f', '').records.length, 0);
  });

  it('appends are single writes of whole lines: two writers interleaving appends lose nothing', () => {
    const f = join(dir, 'two.jsonl');
    const a = new ResultsStore(f, quiet);
    const b = new ResultsStore(f, quiet);
    for (let k = 1; k <= 50; k++) (k % 2 ? a : b).append(rec(k % 5 || 5));
    assert.equal(a.read().length, 50);
  });

  it('the lock: a second holder in another process is refused (OUTPUT_LOCKED), a stale one taken over', () => {
    const f = join(dir, 'locked.jsonl');
    writeFileSync(`${f}.lock`, `${process.ppid}\n`); // a live process that is not us
    assert.throws(() => new ResultsStore(f).lock(), (e: unknown) => e instanceof ActbenchError && e.code === 'OUTPUT_LOCKED' && /results store/.test(e.message));
    writeFileSync(`${f}.lock`, '999999999\n'); // dead
    const l = new ResultsStore(f).lock();
    assert.equal(readFileSync(`${f}.lock`, 'utf8').trim(), String(process.pid));
    l.release();
    assert.equal(existsSync(`${f}.lock`), false);
  });
});
