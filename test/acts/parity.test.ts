/**
 * Parity: every catalogue entry and every operator, through TF.js (NHWC, as trained) and through the
 * exported standard-ONNX graph on onnxruntime (NCHW), on a dense grid over [-12, 12], extremes (±1e4),
 * exact zeros and realistic feature maps. |TF.js − ORT| ≤ 1e-5·max(1, |value|). TF.js gradients (input and
 * parameters) are finite at every test point with |x| ≤ 80 (beyond, e^x itself overflows float32).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CATALOGUE } from '../../src/acts/catalogue.js';
import { resolveActivation, type ActivationDef } from '../../src/acts/define.js';
import { OPS } from '../../src/acts/ops.js';
import {
  featureBatch,
  gridBatch,
  maxRelDiff,
  onnxForward,
  randomParams,
  tfjsForward,
  tfjsGradients,
  useCpuBackend,
  type Batch,
  type OnnxRunOptions,
} from '../helpers.js';

const TOL = 1e-5;

interface Case {
  label: string;
  def: ActivationDef;
  /** input range for the grid (ops defined on part of the line) */
  range?: [number, number];
  /** points where the derivative is genuinely infinite are left out of the gradient check */
  gradOk?: (x: number) => boolean;
}

function opCases(): Case[] {
  const cases: Case[] = [];
  for (const op of OPS.values()) {
    if (op.group === 'binary' || op.group === 'layer') continue;
    const call = op.name === 'clip' ? 'clip(x, -1.5, 2)' : op.name === 'leaky_relu' ? 'leaky_relu(x, 0.05)' : `${op.name}(x)`;
    cases.push({
      label: `op ${call}`,
      def: resolveActivation(call),
      range: op.domain ? [op.domain[0], Math.min(op.domain[1], 12)] : undefined,
      gradOk:
        op.name === 'sqrt' || op.name === 'log'
          ? (x) => x > 1e-3 // d/dx √x and ln x are unbounded at 0
          : op.name === 'recip'
            ? (x) => x === 0 || Math.abs(x) > 1e-15 // −1/x² at 1e-30 is 1e60, beyond float32
            : undefined,
    });
  }
  // binary ops against operands with exact zeros, sign changes, constants and parameters
  const seconds = ['sin(3*x)', 'relu(x - 1)', '2', '0.5*x + 0.25', 'a'];
  for (const op of ['add', 'sub', 'mul', 'div', 'fdiv', 'pow', 'max', 'min', 'prelu']) {
    for (const y of seconds) {
      if (op === 'fdiv' && y !== '2') continue; // raw division by zero is ±inf/NaN by definition
      cases.push({ label: `op ${op}(x, ${y})`, def: resolveActivation(`${op}(x, ${y})`) });
    }
  }
  cases.push({ label: 'op x ^ 2 (parsed power)', def: resolveActivation('x^2') });
  cases.push({ label: 'op where_gt(sin(3*x), x, -x)', def: resolveActivation('where_gt(sin(3*x), x, -x)') });
  for (const e of ['lmean(x)', 'x - lmean(x)', 'cmean(x*x)', 'x*cmean(x)', 'lnorm(x)', 'lnorm(x, 0.1)', 'x*sigmoid(lnorm(x))']) {
    cases.push({ label: `op ${e}`, def: resolveActivation(e) });
  }
  return cases;
}

const catalogueCases: Case[] = CATALOGUE.map((e) => ({ label: e.name, def: resolveActivation(e.name) }));

function batches(c: Case): Batch[] {
  const [lo, hi] = c.range ?? [-12, 12];
  if (c.range) return [gridBatch(lo, hi, [lo, hi, (lo + hi) / 2])];
  return [gridBatch(), featureBatch(7), featureBatch(11, [3, 5, 4, 7])];
}

async function assertParity(c: Case, o: OnnxRunOptions): Promise<void> {
  for (const b of batches(c)) {
    const params = randomParams(c.def, [b.shape[2], b.shape[3], b.shape[1]]);
    const t = tfjsForward(c.def, b, params);
    const y = await onnxForward(c.def, b, params, o);
    // maxRelDiff counts NaN = NaN as agreement; that proves nothing where nothing is a number
    assert.ok(t.some(Number.isFinite) && y.some(Number.isFinite), `${c.label} on ${b.label}: no finite output, parity cannot pass on NaN = NaN alone`);
    const { diff, at } = maxRelDiff(y, t);
    assert.ok(
      diff <= TOL,
      `${c.label} on ${b.label} (opset ${o.opset ?? 17}, ${o.layout ?? 'NCHW'}${o.cudaSafe === false ? ', native ops' : ''}${o.target ? `, target ${o.target}` : ''}): ` +
        `x=${b.data[at]} TF.js=${t[at]} ORT=${y[at]} (rel diff ${diff})`,
    );
  }
}

function assertFiniteGradients(c: Case): void {
  const [lo, hi] = c.range ?? [-12, 12];
  const extremes = c.range ? [lo, hi] : [80, -80, 50, -50, 20, -20, 1e-30, -1e-30, 0, -0, 3.75, -3.75, 1, -1, 10, -10];
  const bs = [gridBatch(lo, hi, extremes), ...(c.range ? [] : [featureBatch(7)])];
  for (const b of bs) {
    const params = randomParams(c.def, [b.shape[2], b.shape[3], b.shape[1]]);
    const grads = tfjsGradients(c.def, b, params);
    const forward = tfjsForward(c.def, b, params); // NCHW
    const nchwX = b.data;
    const [N, C, H, W] = b.shape;
    const gx = grads.x; // NHWC order
    for (let n = 0; n < N; n++)
      for (let ch = 0; ch < C; ch++)
        for (let h = 0; h < H; h++)
          for (let w = 0; w < W; w++) {
            const x = nchwX[((n * C + ch) * H + h) * W + w];
            if (c.gradOk && !c.gradOk(x)) continue;
            // where f itself overflows (80^79), its derivative cannot be finite either
            if (!Number.isFinite(forward[((n * C + ch) * H + h) * W + w])) continue;
            const g = gx[((n * H + h) * W + w) * C + ch];
            assert.ok(Number.isFinite(g), `${c.label}: d/dx not finite at x=${x}: ${g}`);
          }
    for (const [name, g] of Object.entries(grads)) {
      if (name === 'x' || c.gradOk || !forward.every(Number.isFinite)) continue;
      assert.ok(g.every(Number.isFinite), `${c.label}: gradient of parameter '${name}' not finite on ${b.label}`);
    }
  }
}

before(useCpuBackend);

describe('catalogue parity TF.js ↔ onnxruntime', () => {
  for (const c of catalogueCases) {
    it(`${c.label}: opset 17, CUDA-safe lowering`, () => assertParity(c, { opset: 17 }));
    it(`${c.label}: opset 17, target cpu (native ops and CPU-fast forms)`, () => assertParity(c, { opset: 17, target: 'cpu' }));
    it(`${c.label}: opset 13 (no LayerNormalization) and 18 (ReduceMean axes input)`, async () => {
      await assertParity(c, { opset: 13 });
      await assertParity(c, { opset: 18 });
    });
    it(`${c.label}: opset 20 (native Gelu/Mish) and NHWC graph`, async () => {
      await assertParity(c, { opset: 20 });
      await assertParity(c, { opset: 17, layout: 'NHWC' });
    });
    it(`${c.label}: TF.js gradients finite`, () => assertFiniteGradients(c));
  }
});

describe('operator parity TF.js ↔ onnxruntime', () => {
  for (const c of opCases()) {
    it(`${c.label}: opset 17 CUDA-safe, native, and opset 18`, async () => {
      await assertParity(c, { opset: 17 });
      await assertParity(c, { opset: 17, cudaSafe: false });
      await assertParity(c, { opset: 17, target: 'cpu' });
      await assertParity(c, { opset: 18 });
    });
    it(`${c.label}: TF.js gradients finite`, () => assertFiniteGradients(c));
  }
});

describe('coverage', () => {
  it('every operator of the IR is exercised by the parity suite', () => {
    const tested = new Set(opCases().flatMap((c) => [...c.def.expr.matchAll(/([a-z_0-9]+)\(/g)].map((m) => m[1])));
    tested.add('add').add('sub').add('mul').add('neg').add('pow');
    const missing = [...OPS.keys()].filter((k) => !tested.has(k));
    assert.deepEqual(missing, []);
  });
});
