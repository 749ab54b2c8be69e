/**
 * The zoo × {relu, la_silu, velu, pangaea_p5, x*sigmoid(a*x)} (one model per family with all five, its deeper
 * copies with relu and the user expression, wrn_16_8 left out: ZOO_SKIPPED in zoo-losses.ts) trains with the same
 * per-step losses and gradients on the native backend, on tfjs-node (the tensorflow backend) and on wasm as on the pure-JS cpu backend.
 * The cpu trajectory (momentum SGD, batch 4, 8×8 inputs, width ×0.25; harness: zoo-losses.ts) is computed once per
 * case; every other backend is teacher-forced — each step starts from the cpu step's weights — so the comparison
 * measures the backend's kernels rather than how SGD at batch 2 amplifies a 1-ulp difference over steps (measured
 * free-running: cnn_small/x*sigmoid(a*x) parts by 20 % after 15 steps on any two backends; BatchNorm over the 1×1 maps
 * of MobileNetV2 at batch 2 by 2 % within 3).
 * Steps: 20 for cnn_small and mlp, 5 for resnet20, 2 for the deeper models, which repeat resnet20's blocks — the
 * pure-JS reference keeps the suite inside CI's budget.
 * Tolerances (relative): loss 1e-4 at every step on native and tensorflow (1e-5 typical), gradients' relative L2
 * difference 1e-3 (5e-2 for ReLU, whose sub-gradient at 0 flips on 1-ulp forward differences, and for the ≥ 56-layer
 * models and MobileNetV2, whose BatchNorm over 2 values per channel divides by √(var+ε)); wasm: loss 1e-3 and gradients
 * finite (its gradient path differs from cpu's by up to a few per cent on LayerAct/VeLU: reported, not hidden).
 * The tensorflow backend is required under CI (`.ci/run` sets it up); elsewhere it runs when set up.
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { tensorflowStatus } from '../../src/setup/status.js';
import { cpuTrajectory, forcedSteps, zooCases, type RefStep } from './zoo-losses.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a));
/** the reference backend: cpu (CI), or tensorflow for the by-hand full matrix (ACTBENCH_ZOO_FULL, zoo-losses.ts) */
const REF = process.env.ACTBENCH_ZOO_REF === 'tensorflow' ? 'tensorflow' : 'cpu';
/** ACTBENCH_ZOO_REPORT=FILE: one JSON line per case with the worst loss and gradient differences per backend */
const REPORT = process.env.ACTBENCH_ZOO_REPORT;
const tfStatus = tensorflowStatus('cpu');
const requireTf = !!process.env.CI || tfStatus.ready;

function check(name: string, ref: RefStep[], got: { losses: number[]; gradDiff: number[] }, lossTol: number, gradTol: number): void {
  worst[name] = { loss: Math.max(...ref.map((s, k) => rel(s.loss, got.losses[k]))), grad: Math.max(...got.gradDiff) };
  assert.equal(got.losses.length, ref.length, `${name}: ${got.losses.length} steps`);
  ref.forEach((s, k) => {
    assert.ok(rel(s.loss, got.losses[k]) <= lossTol, `${name}: step ${k + 1} loss ${got.losses[k]} vs cpu ${s.loss}`);
    assert.ok(got.gradDiff[k] <= gradTol, `${name}: step ${k + 1} gradients differ from cpu's by ${got.gradDiff[k].toExponential(2)} (relative L2) > ${gradTol}`);
  });
}

const worst: Record<string, { loss: number; grad: number }> = {};

describe('zoo training steps: native, tensorflow and wasm = cpu (teacher-forced)', () => {
  for (const c of zooCases()) {
    it(`${c.model} × ${c.act}, ${c.steps} steps`, async () => {
      for (const k of Object.keys(worst)) delete worst[k];
      const t0 = Date.now();
      try {
        const ref = await cpuTrajectory(c, undefined, REF);
        assert.ok(ref.every((s) => Number.isFinite(s.loss)), `${REF} losses ${ref.map((s) => s.loss)}`);
        const loose = c.act === 'relu' || /^(resnet(56|110)|preact_resnet|wrn_16|mobilenetv2)/.test(c.model);
        check('native', ref, await forcedSteps('native', c, ref), 1e-4, loose ? 5e-2 : 1e-3);
        if (requireTf && REF !== 'tensorflow') {
          assert.ok(tfStatus.ready, `the tensorflow backend is required here: ${tfStatus.ready ? '' : `${tfStatus.reason}; fix: ${tfStatus.fix}`}`);
          check('tensorflow', ref, await forcedSteps('tensorflow', c, ref), 1e-4, loose ? 5e-2 : 1e-3);
        }
        const wasm = await forcedSteps('wasm', c, ref);
        worst.wasm = { loss: Math.max(...ref.map((s, k) => rel(s.loss, wasm.losses[k]))), grad: Math.max(...wasm.gradDiff) };
        ref.forEach((s, k) => assert.ok(rel(s.loss, wasm.losses[k]) <= 1e-3, `wasm: step ${k + 1} loss ${wasm.losses[k]} vs ${REF} ${s.loss}`));
        assert.ok(wasm.gradDiff.every(Number.isFinite), `wasm gradients: ${wasm.gradDiff}`);
      } finally {
        if (REPORT) appendFileSync(REPORT, `${JSON.stringify({ ...c, ref: REF, worst, seconds: (Date.now() - t0) / 1000 })}\n`);
      }
    });
  }
});
