/** search inputs: options checked before any work, resume only the same search, locks, seeded draws (seed 0 included). */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { discardSearch, runSearch, type SearchOptions } from '../../src/api/search.js';
import { ActbenchError } from '../../src/errors.js';
import { initialState, loadState, runEvolution, type Evaluation } from '../../src/search/evolution.js';
import type { Gene } from '../../src/search/genome.js';
import { toExpression } from '../../src/search/genome.js';
import { searchRecipe } from '../../src/search/options.js';
import { LOCK_FILE } from '../../src/util/lock.js';
import { coded } from '../coded.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-search-opts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base: SearchOptions = {
  model: 'cnn_small', data: 'mnist', budget: 2, population: 2, sample: 2, threshold: 0, seed: 0, workers: 1, out: '', epochs: 1,
  limitTrain: 200, limitTest: 100, lr: 0.05, fitness: 'accuracy', latencyWeight: 0.02,
};

describe('search options', () => {
  it('refuses a tournament sample larger than the population, out-of-range seeds and unknown fitness kinds', () => {
    assert.throws(() => searchRecipe({ ...base, sample: 3 }), coded('SEARCH_BAD_OPTION', { field: 'sample', message: /must not exceed population/ }));
    for (const seed of [2.5, -1, 2 ** 32, Number.NaN]) assert.throws(() => searchRecipe({ ...base, seed }), coded('SEARCH_BAD_OPTION', { field: 'seed' }));
    assert.equal(searchRecipe({ ...base, seed: 0 }).seed, 0);
    assert.equal(searchRecipe({ ...base, seed: 2 ** 32 - 1 }).seed, 2 ** 32 - 1);
    assert.throws(() => searchRecipe({ ...base, fitness: 'speed' as SearchOptions['fitness'] }), coded('SEARCH_BAD_OPTION', { field: 'fitness' }));
    for (const [k, v] of [['population', 0], ['budget', 1.5], ['workers', 0], ['lr', 0], ['epochs', -1], ['limitTrain', Number.POSITIVE_INFINITY]] as const) {
      assert.throws(() => searchRecipe({ ...base, [k]: v }), coded('SEARCH_BAD_OPTION', { field: k }));
    }
  });
  it('refuses an unknown model or data spec before creating anything', async () => {
    const out = join(dir, 'nothing');
    await assert.rejects(runSearch({ ...base, out, model: 'cnn_smal' }), coded('MODEL_UNKNOWN', { field: 'model', message: /cnn_small/ }));
    await assert.rejects(runSearch({ ...base, out, data: 'mnistt' }), coded('DATA_UNKNOWN'));
    await assert.rejects(runSearch({ ...base, out, resume: true, force: true }), coded('SEARCH_BAD_OPTION', { field: 'force' }));
    assert.equal(existsSync(out), false);
  });
});

describe('resume only the same search (issue 19 #3)', () => {
  // a search directory as a first run leaves it (no training needed to test the checks)
  const made = (name: string, recipe: Partial<SearchOptions> = {}) => {
    const out = join(dir, name);
    mkdirSync(out, { recursive: true });
    const r = searchRecipe({ ...base, ...recipe });
    writeFileSync(join(out, 'search.json'), JSON.stringify({ ...r, budget: 2 }));
    const state = initialState({ population: r.population, sample: r.sample, threshold: r.threshold, seed: r.seed, batch: r.workers, layerOps: r.layerOps, budget: 2 });
    writeFileSync(join(out, 'state.json'), JSON.stringify(state));
    writeFileSync(join(out, 'mine.txt'), 'a user file');
    return out;
  };
  it('refuses an existing search without --resume (OUTPUT_EXISTS), and --resume with another recipe names the fields', async () => {
    const out = made('s1');
    await assert.rejects(runSearch({ ...base, out }), coded('OUTPUT_EXISTS', /--resume.*--force/));
    await assert.rejects(runSearch({ ...base, out, resume: true, lr: 0.1, limitTrain: 300, seed: 0 }), (e: unknown) => {
      coded('RESUME_MISMATCH')(e);
      const m = (e as Error).message;
      assert.match(m, /limitTrain: stored 200, requested 300/);
      assert.match(m, /lr: stored 0\.05, requested 0\.1/);
      assert.doesNotMatch(m, /budget: stored/);
      return true;
    });
    await assert.rejects(runSearch({ ...base, out, resume: true, seed: 1 }), coded('RESUME_MISMATCH', { field: 'seed', message: /seed: stored 0, requested 1/ }));
    await assert.rejects(runSearch({ ...base, out, resume: true, fitness: 'robust' }), coded('RESUME_MISMATCH', { field: 'fitness' }));
    assert.equal(existsSync(join(out, 'baseline-relu.json')), false, 'nothing was trained');
  });
  it('refuses a state whose evolution config differs from its recipe (a state copied in from another search)', async () => {
    const out = made('s2');
    const other = initialState({ population: 5, sample: 2, threshold: 0, seed: 0, batch: 1, layerOps: false, budget: 2 });
    writeFileSync(join(out, 'state.json'), JSON.stringify(other));
    await assert.rejects(runSearch({ ...base, out, resume: true }), coded('RESUME_MISMATCH', { field: 'population' }));
  });
  it('refuses a corrupted state with a coded error naming the file', async () => {
    const out = made('s3');
    writeFileSync(join(out, 'state.json'), '{"config": ');
    await assert.rejects(runSearch({ ...base, out, resume: true }), (e: unknown) => coded('SEARCH_BAD_STATE')(e) && (e as ActbenchError).file === join(out, 'state.json'));
  });
  it('refuses a search directory in use by another live process (OUTPUT_LOCKED)', async () => {
    const out = made('s4');
    writeFileSync(join(out, LOCK_FILE), `${process.ppid}\n`);
    await assert.rejects(runSearch({ ...base, out, resume: true }), coded('OUTPUT_LOCKED', new RegExp(`process ${process.ppid}`)));
    rmSync(join(out, LOCK_FILE));
  });
  it('--resume without a state is refused (SEARCH_NO_STATE)', async () => {
    await assert.rejects(runSearch({ ...base, out: join(dir, 'empty'), resume: true }), coded('SEARCH_NO_STATE'));
  });
  it('--force removes only the search outputs, never other files', () => {
    const out = made('s5');
    mkdirSync(join(out, 'candidates', '0'), { recursive: true });
    writeFileSync(join(out, 'baseline-relu.json'), '{}');
    discardSearch(out);
    assert.deepEqual(readdirSync(out), ['mine.txt']);
  });
});

describe('seeded draws (issue 9 #6)', () => {
  const fake = async (g: Gene): Promise<Evaluation> => {
    let h = 0;
    for (const ch of toExpression(g)) h = (h * 31 + ch.charCodeAt(0)) % 1000;
    return { fitness: h / 1000, status: 'ok', details: {}, seconds: 0 };
  };
  const config = (seed: number) => ({ population: 4, sample: 2, budget: 16, threshold: 0.1, seed, batch: 2 });
  const sequence = async (seed: number) => (await runEvolution(initialState(config(seed)), fake)).history.map((c) => `${c.mutation}:${c.parent}:${c.expr}`);
  it('two searches with seed 0 draw identical candidates (mutations, samples, parameters); seed 0 and 1 differ', async () => {
    const a = await sequence(0);
    const b = await sequence(0);
    assert.equal(a.length, 16);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, await sequence(1));
    assert.ok(a.some((s) => /alpha|beta|gamma/.test(s)), 'parameters were placed');
    assert.ok(a.some((s) => !s.startsWith('initial')), 'mutations were drawn');
  });
  it('a failed evaluation stops the evolution after its siblings finished and were saved; the failed one stays pending', async () => {
    const file = join(dir, 'fail-state.json');
    let calls = 0;
    const failing = async (g: Gene, id: number): Promise<Evaluation> => {
      calls++;
      if (id === 1) throw new ActbenchError('FS_ENOSPC', 'disk full');
      await new Promise((r) => setTimeout(r, 50));
      return fake(g);
    };
    await assert.rejects(runEvolution(initialState(config(0)), failing, { stateFile: file }), coded('FS_ENOSPC'));
    assert.equal(calls, 2);
    const s = loadState(file);
    assert.equal(s.history.length, 0);
    assert.deepEqual(s.pending.map((p) => !!p.result), [true, false]);
    const resumed = await runEvolution(s, fake);
    assert.deepEqual(resumed.history.map((c) => `${c.mutation}:${c.parent}:${c.expr}`), await sequence(0));
  });
});
