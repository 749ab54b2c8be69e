/** NumpyRandomState against numpy itself (Debian python3-numpy, generated at test time). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { deriveSeed, loggam, NumpyRandomState } from '../../src/corrupt/rng.js';
import { findOnnxPython } from '../../src/onnx/checker.js';

const SCRIPT = `
import json, numpy as np
out = {}
np.random.seed(5003)
out['random'] = [np.random.random_sample() for _ in range(5)]
out['normal'] = [np.random.standard_normal() for _ in range(5)]
out['mixed'] = [np.random.standard_normal(), np.random.random_sample(), np.random.standard_normal()]
out['randint'] = [int(np.random.randint(lo, hi)) for lo, hi in [(-1, 1), (0, 5), (-2, 2), (0, 100), (7, 8), (0, 1000003)]]
out['poisson'] = [int(np.random.poisson(l)) for l in [0, 0.5, 3.7, 9.99, 10, 25.5, 250, 500]]
np.random.seed(0)
out['uniform'] = np.random.uniform(-100, 100, 6).tolist()
np.random.seed(4294967295)
out['maxseed'] = [np.random.random_sample(), int(np.random.randint(0, 2**31))]
print(json.dumps(out))
`;

describe('NumpyRandomState (numpy legacy RandomState)', () => {
  it('reproduces numpy: doubles, polar Gaussians with the cached value, masked randint, legacy Poisson, uniform', (t) => {
    const py = findOnnxPython();
    if (!py) return t.skip('no python3 with numpy');
    const r = spawnSync(py, ['-c', SCRIPT], { encoding: 'utf8' });
    if (r.status !== 0) return t.skip(`numpy unavailable: ${r.stderr.split('\n').at(-2)}`);
    const ref = JSON.parse(r.stdout) as Record<string, number[]>;
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
