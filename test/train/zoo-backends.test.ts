/**
 * Every zoo model × {relu, la_silu, velu, pangaea_p5, x*sigmoid(a*x)} trains with the same per-step losses on
 * the native backend, on tfjs-node (the tensorflow backend) and on wasm as on the pure-JS cpu backend, the
 * reference computed once per case (harness: zoo-losses.ts; sizes and step counts there: 20 steps for resnet20,
 * cnn_small and mlp, 2–3 for the deeper models that repeat their blocks, wrn_16_8 with the user expression only —
 * the pure-JS reference keeps the suite inside CI's budget).
 * Tolerance on |Δloss| / max(1, |loss|): the first loss (forward pass only) 1e-5 on native and tensorflow, 1e-4 on
 * wasm; afterwards 1e-4 for smooth activations on native, 2e-3 on tensorflow (oneDNN's summation order), and
 * 5e-2 for ReLU, whose sub-gradient at 0 flips on 1-ulp forward differences between backends. wasm: finite losses
 * after the first (its gradient path differs from cpu's by up to a few per cent on LayerAct/VeLU: a finding, not a
 * tolerance we hide; see the README).
 * The tensorflow backend is required under CI (`.ci/run` sets it up); elsewhere its cases say how to set it up.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tensorflowStatus } from '../../src/setup/status.js';
import { zooCases, zooLosses } from './zoo-losses.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a));
const tf = tensorflowStatus('cpu');
const requireTf = !!process.env.CI || tf.ready;

function close(name: string, want: number[], got: number[], first: number, later: number): void {
  assert.equal(got.length, want.length, `${name}: ${got.length} losses`);
  assert.ok(rel(want[0], got[0]) <= first, `${name}: first loss ${got[0]} vs cpu ${want[0]}`);
  const worst = Math.max(...want.map((w, i) => rel(w, got[i])));
  assert.ok(worst <= later, `${name}: max relative loss difference ${worst.toExponential(2)} > ${later}: ${got.map((v) => v.toFixed(5))} vs cpu ${want.map((v) => v.toFixed(5))}`);
}

describe('zoo training losses: native, tensorflow and wasm = cpu', () => {
  for (const c of zooCases()) {
    it(`${c.model} × ${c.act}, ${c.steps} steps`, async () => {
      const want = await zooLosses('cpu', c);
      assert.ok(want.every(Number.isFinite), `cpu losses ${want}`);
      const relu = c.act === 'relu';
      close('native', want, await zooLosses('native', c), 1e-5, relu ? 5e-2 : 1e-4);
      if (requireTf) {
        assert.ok(tf.ready, `the tensorflow backend is required here: ${tf.ready ? '' : `${tf.reason}; fix: ${tf.fix}`}`);
        close('tensorflow', want, await zooLosses('tensorflow', c), 1e-5, relu ? 5e-2 : 2e-3);
      }
      const wasm = await zooLosses('wasm', c);
      assert.ok(rel(want[0], wasm[0]) <= 1e-4, `wasm: first loss ${wasm[0]} vs cpu ${want[0]}`);
      assert.ok(wasm.every(Number.isFinite), `wasm losses ${wasm}`);
    });
  }
});
