/** NumpyRandomState against numpy itself (values recorded in test/fixtures/numpy). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { deriveSeed, loggam, NumpyRandomState } from '../../src/corrupt/rng.js';
import { findOnnxPython } from '../../src/onnx/checker.js';

// numpy's outputs, recorded with Debian's numpy 1.24.2 by test/fixtures/numpy/random_state.py (so this test
// runs everywhere); where numpy is installed the recording is checked against it too
const FIXTURE_DIR = new URL('../fixtures/numpy/', import.meta.url).pathname;
const FIXTURE = `${FIXTURE_DIR}random_state.json`;

describe('NumpyRandomState (numpy legacy RandomState)', () => {
  it('the recorded values are numpy\'s (checked where python3 with numpy is installed)', () => {
    assert.ok(existsSync(FIXTURE), `fixture ${FIXTURE} is missing`);
    const py = findOnnxPython();
    const r = py ? spawnSync(py, [`${FIXTURE_DIR}random_state.py`], { encoding: 'utf8' }) : null;
    if (r?.status === 0) assert.deepEqual(JSON.parse(r.stdout), JSON.parse(readFileSync(FIXTURE, 'utf8')));
  });
  it('reproduces numpy: doubles, polar Gaussians with the cached value, masked randint, legacy Poisson, uniform', () => {
    assert.ok(existsSync(FIXTURE), `fixture ${FIXTURE} is missing`);
    const ref = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, number[]>;
    const rs = new NumpyRandomState(5003);
    assert.deepEqual(Array.from({ length: 5 }, () => rs.random()), ref.random);
    assert.deepEqual(Array.from({ length: 5 }, () => rs.standardNormal()), ref.normal);
    assert.deepEqual([rs.standardNormal(), rs.random(), rs.standardNormal()], ref.mixed);
    assert.deepEqual([[-1, 1], [0, 5], [-2, 2], [0, 100], [7, 8], [0, 1000003]].map(([lo, hi]) => rs.randint(lo, hi)), ref.randint);
    assert.deepEqual([0, 0.5, 3.7, 9.99, 10, 25.5, 250, 500].map((l) => rs.poisson(l)), ref.poisson);
    rs.seed(0);
    assert.deepEqual(Array.from(rs.uniformArray(6, -100, 100)), ref.uniform);
    rs.seed(4294967295);
    assert.deepEqual([rs.random(), rs.randint(0, 2 ** 31)], ref.maxseed);
  });
  it('reseeding clears the cached Gaussian', () => {
    const a = new NumpyRandomState(1);
    a.standardNormal();
    a.seed(1);
    const b = new NumpyRandomState(1);
    assert.equal(a.standardNormal(), b.standardNormal());
  });
  it('log-gamma matches known values', () => {
    assert.equal(loggam(1), 0);
    assert.ok(Math.abs(loggam(10) - Math.log(362880)) < 1e-12);
    assert.ok(Math.abs(loggam(3.5) - Math.log(3.323350970447843)) < 1e-12);
  });
  it('derived seeds are distinct per (seed, corruption, severity, index) and stable', () => {
    const seen = new Set<number>();
    for (const c of ['fog', 'frost']) for (let s = 1; s <= 5; s++) for (let i = 0; i < 50; i++) seen.add(deriveSeed(0, c, s, i));
    assert.equal(seen.size, 500);
    assert.equal(deriveSeed(3, 'fog', 2, 7), deriveSeed(3, 'fog', 2, 7));
    assert.notEqual(deriveSeed(3, 'fog', 2, 7), deriveSeed(4, 'fog', 2, 7));
  });
  it('rejects seeds numpy rejects', () => {
    assert.throws(() => new NumpyRandomState(-1), /seed must be an integer in \[0, 2\^32\)/);
    assert.throws(() => new NumpyRandomState(2 ** 32), /seed must be/);
  });
});
