/**
 * Whole-model wasm gradients = the pure-JS backend's, teacher-forced (zoo-losses.ts): cnn_small × x*sigmoid(a*x)
 * puts smooth-activation outputs, negative ones included, through a max-pool — where tfjs-backend-wasm's own
 * MaxPoolGrad lost the gradient of every all-negative window (12 % relative L2 over the whole gradient).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuTrajectory, forcedSteps, stepsFor } from './zoo-losses.js';

describe('wasm training gradients', () => {
  it('cnn_small × x*sigmoid(a*x), 3 teacher-forced steps: gradients within 1e-3 of cpu (relative L2)', async () => {
    const c = { model: 'cnn_small', act: 'x*sigmoid(a*x)', steps: Math.min(3, stepsFor('cnn_small')) };
    const ref = await cpuTrajectory(c);
    const wasm = await forcedSteps('wasm', c, ref);
    assert.equal(wasm.gradDiff.length, 3);
    wasm.gradDiff.forEach((d, k) => assert.ok(d <= 1e-3, `step ${k + 1}: wasm gradients differ from cpu's by ${d.toExponential(2)}`));
    wasm.losses.forEach((l, k) => assert.ok(Math.abs(l - ref[k].loss) <= 1e-4 * Math.max(1, Math.abs(l)), `step ${k + 1}: loss ${l} vs ${ref[k].loss}`));
  });
});
