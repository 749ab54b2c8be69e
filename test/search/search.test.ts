/** PANGAEA's search space and regularized evolution, on hand-built graphs and a deterministic fake fitness. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { compileActivation } from '../../src/acts/define.js';
import { PANGAEA_BINARY, PANGAEA_UNARY } from '../../src/acts/ops.js';
import { evaluateTfjs, tfjsIr } from '../../src/acts/tfjs.js';
import { NumpyRandomState } from '../../src/corrupt/rng.js';
import { bestSoFar, initialState, loadState, runEvolution, type Evaluation, type SearchState } from '../../src/search/evolution.js';
import {
  binary, change, chooseMutation, edges, insert, neutralOperand, operatorNodes, parameterize, randomInitial, regenerate, remove, toDefinition, toExpression, unary, x,
  type Gene,
} from '../../src/search/genome.js';
import { useCpuBackend } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-search-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useCpuBackend);

/** The function a gene computes, on a probe grid (parameters at their initial 1). */
function values(g: Gene): number[] {
  const def = toDefinition(g);
  const c = compileActivation(def);
  return tf.tidy(() => {
    const xs = tf.linspace(-4, 4, 33).reshape([33, 1]);
    const p = Object.fromEntries(c.paramNames.map((n) => [n, tf.ones([1])]));
    return Array.from(evaluateTfjs(tfjsIr(c.ir), xs, p).dataSync());
  });
}
const sameFunction = (a: Gene, b: Gene) => values(a).every((v, k) => Math.abs(v - values(b)[k]) < 1e-6 || (Number.isNaN(v) && Number.isNaN(values(b)[k])));

// (tanh(x) + |erf(x)|)² — the paper's Figure 2a
const figure2a = (): Gene => unary('square', binary('add', unary('tanh', x()), unary('abs', unary('erf', x()))));

describe('search space', () => {
  it('has PANGAEA’s 27 unary and 7 binary operators', () => {
    assert.equal(PANGAEA_UNARY.length, 27);
    assert.deepEqual([...PANGAEA_BINARY].sort(), ['add', 'div', 'max', 'min', 'mul', 'pow', 'sub']);
  });
  it('initial functions are unary1(unary2(x)) or binary(unary1(x), unary2(x)), both forms appearing', () => {
    const rng = new NumpyRandomState(1);
    const forms = new Set<string>();
    for (let k = 0; k < 60; k++) {
      const g = randomInitial(rng);
      forms.add(g.kind === 'unary' ? `u(${g.child.kind})` : g.kind === 'binary' ? `b(${g.a.kind},${g.b.kind})` : g.kind);
      if (g.kind === 'unary') assert.ok(g.child.kind === 'unary' && g.child.child.kind === 'x');
    }
    assert.deepEqual([...forms].sort(), ['b(unary,unary)', 'u(unary)']);
  });
});

describe('mutations (PANGAEA §3.1)', () => {
  it('insert: a binary operator on an edge keeps the function (x₂ = 0 for +,−; 1 for ×,÷,pow; a copy of x₁ for max, min)', () => {
    for (const op of PANGAEA_BINARY) {
      const input = unary('tanh', x());
      const second = neutralOperand(op, input);
      const child = binary(op, input, second);
      if (op === 'add' || op === 'sub') assert.deepEqual(second, { kind: 'const', value: 0 });
      else if (op === 'mul' || op === 'div' || op === 'pow') assert.deepEqual(second, { kind: 'const', value: 1 });
      else assert.deepEqual(second, input);
      assert.ok(sameFunction(child, input) || op === 'pow', `${op} changed the function`);
    }
    // pow keeps the function where the base is positive (safe power: base ≤ 0 gives 0)
    const pos = unary('sigmoid', x());
    assert.ok(sameFunction(binary('pow', pos, neutralOperand('pow', pos)), pos));
  });
  it('insert: one new node on a random edge, every other node untouched', () => {
    const rng = new NumpyRandomState(3);
    for (let k = 0; k < 30; k++) {
      const child = insert(figure2a(), rng);
      const n = operatorNodes(child).length;
      const maxMin = operatorNodes(child).some((node) => node.kind === 'binary' && (node.op === 'max' || node.op === 'min'));
      // one new operator — plus, for max/min, the copy of x₁'s input subtree as x₂
      assert.ok(n === 6 || (maxMin && n > 6), `${n} nodes: ${toExpression(child)}`); // Figure 2a has 5 operators
      assert.ok(toExpression(child).includes('tanh(') && toExpression(child).includes('erf('));
    }
  });
  it('remove: the node is deleted and its input rewired (a binary keeps one of its two inputs)', () => {
    const rng = new NumpyRandomState(2);
    const seen = new Set<string>();
    for (let k = 0; k < 60; k++) seen.add(toExpression(remove(figure2a(), rng)));
    // removing square, add (keeping either side), tanh, abs or erf
    assert.deepEqual([...seen].sort(), [
      '(tanh(x)) + (abs(erf(x)))', // square removed
      'square(tanh(x))', 'square(abs(erf(x)))', // add removed, one input kept
      'square((x) + (abs(erf(x))))', 'square((tanh(x)) + (erf(x)))', 'square((tanh(x)) + (abs(x)))', // tanh, abs, erf removed
    ].sort());
  });
  it('change: one operator replaced by another of the same arity; regenerate: every operator, same structure', () => {
    const rng = new NumpyRandomState(4);
    for (let k = 0; k < 20; k++) {
      const c = change(figure2a(), rng);
      const before = operatorNodes(figure2a()).map((n) => (n.kind === 'unary' || n.kind === 'binary' ? n.op : ''));
      const after = operatorNodes(c).map((n) => (n.kind === 'unary' || n.kind === 'binary' ? n.op : ''));
      assert.equal(after.filter((op, i) => op !== before[i]).length, 1);
      assert.equal(operatorNodes(c)[1].kind, 'binary');
      const r = regenerate(figure2a(), rng);
      const regen = operatorNodes(r).map((n) => (n.kind === 'unary' || n.kind === 'binary' ? n.op : ''));
      assert.ok(regen.every((op, i) => op !== before[i]));
      assert.deepEqual(operatorNodes(r).map((n) => n.kind), operatorNodes(figure2a()).map((n) => n.kind));
    }
  });
  it('special cases: remove becomes change on one-node graphs; more than seven nodes always removes', () => {
    const rng = new NumpyRandomState(5);
    const one = Array.from({ length: 400 }, () => chooseMutation(1, rng));
    assert.ok(!one.includes('remove'));
    assert.ok(one.filter((m) => m === 'change').length > 150); // change's own quarter plus remove's
    assert.ok(Array.from({ length: 50 }, () => chooseMutation(8, rng)).every((m) => m === 'remove'));
    const four = new Set(Array.from({ length: 200 }, () => chooseMutation(4, rng)));
    assert.deepEqual([...four].sort(), ['change', 'insert', 'regenerate', 'remove']);
  });
});

describe('parameterisation (PANGAEA §3.2)', () => {
  it('inserts k ∈ {0,1,2,3} per-channel parameters initialised to 1 and leaves the function unchanged', () => {
    const rng = new NumpyRandomState(6);
    const ks = new Set<number>();
    for (let k = 0; k < 40; k++) {
      const g = parameterize(figure2a(), rng);
      const params = edges(g).filter((e) => e.param).length;
      ks.add(params);
      const def = toDefinition(g);
      assert.ok(Object.values(def.params).every((p) => p.init === 1 && p.shape === 'channel'));
      assert.ok(sameFunction(g, figure2a()), toExpression(g));
    }
    assert.deepEqual([...ks].sort(), [0, 1, 2, 3]);
  });
});

describe('regularized evolution', () => {
  // fitness: a deterministic function of the expression (no training)
  const fake = async (g: Gene): Promise<Evaluation> => {
    const e = toExpression(g);
    let h = 0;
    for (const ch of e) h = (h * 31 + ch.charCodeAt(0)) % 1000;
    return { fitness: h / 1000, status: 'ok', details: {}, seconds: 0 };
  };
  const config = { population: 6, sample: 3, budget: 30, threshold: 0.2, seed: 11, batch: 2 };

  it('keeps the population at P, removes the oldest, counts discarded candidates in the budget', async () => {
    const s = await runEvolution(initialState(config), fake, {
      onCandidate: (c, st) => {
        assert.ok(st.population.length <= config.population);
        if (c.admitted && st.history.length > config.population) assert.equal(st.population.at(-1), c.id);
      },
    });
    assert.equal(s.history.length, 30);
    assert.equal(s.population.length, 6);
    const admitted = s.history.filter((c) => c.admitted).map((c) => c.id);
    assert.deepEqual(s.population, admitted.slice(-6), 'the population is the six youngest admitted');
    assert.ok(s.history.some((c) => !c.admitted), 'some fell below the threshold and were discarded');
    assert.ok(s.history.filter((c) => c.mutation !== 'initial').every((c) => c.parent !== null));
    const curve = bestSoFar(s.history);
    assert.ok(curve.every((v, k) => k === 0 || v >= curve[k - 1]));
  });

  it('is deterministic under a seed and resumes to the same state after an interruption at any evaluation', async () => {
    const full = await runEvolution(initialState(config), fake);
    for (const stopAt of [1, 5, 6, 13]) {
      const file = join(dir, `state-${stopAt}.json`);
      const partial = await runEvolution(initialState(config), fake, { stateFile: file, maxEvaluations: stopAt });
      assert.ok(partial.history.length < 30);
      const resumed = await runEvolution(loadState(file), fake, { stateFile: file });
      const strip = (s: SearchState) => JSON.stringify({ ...s, pending: [] });
      assert.equal(strip(resumed), strip(full), `interrupted after ${stopAt}`);
    }
    const other = await runEvolution(initialState({ ...config, seed: 12 }), fake);
    assert.notEqual(JSON.stringify(other.history.map((c) => c.expr)), JSON.stringify(full.history.map((c) => c.expr)));
  });
});
