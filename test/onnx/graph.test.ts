/** The one graph builder (graph.ts) and the one opset table (opsets.ts) that the lowering and the network export share. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveActivation } from '../../src/acts/define.js';
import { lowerActivation } from '../../src/acts/onnx.js';
import { GraphBuilder, layerNames } from '../../src/onnx/graph.js';
import { hasForm, irVersionFor, ONNX_OP_SINCE, OpsetTooLow, requireOp, SUPPORTED_OPSETS } from '../../src/onnx/opsets.js';

describe('opset table', () => {
  it('pairs opsets with ONNX release IR versions', () => {
    const got = [7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21].map(irVersionFor);
    assert.deepEqual(got, [4, 4, 4, 5, 6, 7, 7, 7, 8, 8, 8, 9, 9, 10]);
  });
  it('knows when each op and form appears', () => {
    assert.equal(ONNX_OP_SINCE.LayerNormalization, 17);
    assert.throws(() => requireOp('LayerNormalization', 16), (e: unknown) => e instanceof OpsetTooLow && e.code === 'ONNX_OPSET_TOO_LOW' && /LayerNormalization needs opset ≥ 17, the export asked for opset 16/.test(e.message));
    assert.doesNotThrow(() => requireOp('LayerNormalization', 17));
    assert.throws(() => requireOp('NoSuchOp', 17), /internal: no opset entry for NoSuchOp/);
    assert.equal(hasForm('reduceMeanAxesInput', 17), false);
    assert.equal(hasForm('reduceMeanAxesInput', 18), true);
    assert.ok(SUPPORTED_OPSETS.min <= SUPPORTED_OPSETS.network && SUPPORTED_OPSETS.network <= SUPPORTED_OPSETS.default);
  });
});

describe('GraphBuilder', () => {
  it('names nodes and outputs uniquely, shares constants by value, keeps named initializers apart', () => {
    const g = new GraphBuilder(17, { prefix: 'L/' });
    const a = g.node('Add', ['x', g.scalar(1)]);
    const b = g.node('Mul', [a, g.scalar(1)]);
    const c = g.node('Mul', [b, g.scalar(-0)]);
    const p = g.int64s([1, 2], 'pads');
    assert.deepEqual([a, b, c, p], ['L/t0', 'L/t1', 'L/t2', 'L/pads']);
    assert.deepEqual(g.nodes.map((n) => n.name), ['L/Add_0', 'L/Mul_1', 'L/Mul_2']);
    assert.deepEqual(g.initializers.map((t) => t.name), ['L/c0', 'L/c1', 'L/pads']);
    assert.deepEqual(Array.from(g.initializers[2].data as BigInt64Array), [1n, 2n]);
    assert.ok(Object.is((g.initializers[1].data as Float32Array)[0], -0));
  });
  it('layer naming: `<layer>:<n>` outputs, `<layer>#<n+1>` nodes', () => {
    const g = new GraphBuilder(13, { naming: layerNames });
    const y = g.node('Relu', [g.node('Conv', ['x', 'W'], {}, 'conv1')], {}, 'act1');
    assert.equal(y, 'act1:1');
    assert.deepEqual(g.nodes.map((n) => [n.name, n.outputs[0]]), [['conv1#1', 'conv1:0'], ['act1#2', 'act1:1']]);
    assert.throws(() => g.node('LayerNormalization', [y]), OpsetTooLow);
  });
  it('ReduceMean takes axes as an attribute before 18 and as an input from 18', () => {
    for (const [opset, inputs, attrs] of [[17, 1, ['axes', 'keepdims']], [18, 2, ['keepdims']]] as const) {
      const fr = lowerActivation(resolveActivation('lmean(x)'), { opset, layout: 'NCHW', featureShape: [2, 3, 3], input: 'X', output: 'Y' });
      const rm = fr.nodes.find((n) => n.opType === 'ReduceMean');
      assert.ok(rm);
      assert.equal(rm.inputs.length, inputs);
      assert.deepEqual(Object.keys(rm.attributes), attrs);
      if (opset === 18) assert.deepEqual(Array.from(fr.initializers.find((t) => t.name === rm.inputs[1])!.data as BigInt64Array), [1n, 2n, 3n]);
      else assert.deepEqual(rm.attributes.axes, { type: 'ints', value: [1, 2, 3] });
    }
  });
  it('bindOutput renames the last producer, or adds an Identity when the value is the input or read again', () => {
    const g = new GraphBuilder(17);
    const t = g.node('Relu', ['X']);
    g.bindOutput(t, 'Y', 'out');
    assert.deepEqual(g.nodes.map((n) => n.outputs[0]), ['Y']);
    const h = new GraphBuilder(17);
    h.bindOutput('X', 'Y', 'out');
    assert.deepEqual(h.nodes.map((n) => [n.opType, n.inputs[0], n.outputs[0]]), [['Identity', 'X', 'Y']]);
  });
});
