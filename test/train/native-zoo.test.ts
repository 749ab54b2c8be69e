/**
 * Every zoo model × {relu, la_silu, velu, pangaea_p5, x*sigmoid(a*x)} trains on the native backend with the
 * same per-step losses as on the pure-JS cpu backend (harness: zoo-losses.ts; sizes and step counts there).
 * Tolerance on |Δloss| / max(1, |loss|): 1e-5 for the first loss (forward pass only); afterwards 1e-4 for
 * smooth activations, and 5e-2 for ReLU, whose sub-gradient at 0 flips on 1-ulp forward differences between
 * backends (measured: resnet20/relu 1.0e-2 after 20 steps; smooth activations ≤ 2.1e-5).
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
