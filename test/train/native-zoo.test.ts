/**
 * Zoo models × {relu, la_silu, velu, pangaea_p5, x*sigmoid(a*x)} train on the native backend with the same
 * per-step losses as on the pure-JS cpu backend (harness, sizes, step counts and the cases left out:
 * zoo-losses.ts). Tolerance on |Δloss| / max(1, |loss|): 1e-5 for the first loss (forward pass only);
 * afterwards 1e-4 for smooth activations and 5e-2 for ReLU, whose sub-gradient at 0 flips on 1-ulp forward
 * differences between backends (measured at batch 4: smooth ≤ 4e-7 over 20 steps for cnn_small/mlp, 2e-5
 * for resnet110/la_silu; ReLU ≤ 4e-7 for cnn_small over 20 steps but 4.3e-2 for preact_resnet164 after one
 * update, where a flipped kink propagates through 164 layers).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zooCases, zooLosses } from './zoo-losses.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a));

describe('zoo training losses: native = cpu', () => {
  for (const c of zooCases()) {
    it(`${c.model} × ${c.act}, ${c.steps} steps`, async () => {
      const want = await zooLosses('cpu', c);
      const got = await zooLosses('native', c);
      assert.equal(got.length, c.steps);
      assert.ok(want.every(Number.isFinite), `cpu losses ${want}`);
      assert.ok(rel(want[0], got[0]) <= 1e-5, `first loss ${got[0]} vs ${want[0]}`);
      const tol = c.act === 'relu' ? 5e-2 : 1e-4;
      const worst = Math.max(...want.map((w, i) => rel(w, got[i])));
      assert.ok(worst <= tol, `max relative loss difference ${worst} > ${tol}: ${got.map((v) => v.toFixed(5))} vs ${want.map((v) => v.toFixed(5))}`);
    });
  }
});
