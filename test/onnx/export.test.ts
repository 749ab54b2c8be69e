/**
 * Export parity for every zoo architecture × {relu, gelu, la_silu, la_hardsilu, velu, prelu, a PANGAEA
 * function, a user expression}: TF.js vs onnxruntime on a fixed batch, max |Δlogit| ≤ 1e-4 (relative to the
 * logit scale) and 100 % top-1 agreement, with BatchNorm statistics and activation parameters moved off their
 * initial values so folding and parameter layouts are exercised, half of them with the CPU target's lowerings;
 * every exported model passes onnx.checker.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../../src/acts/define.js';
import { createModel, modelNames } from '../../src/models/registry.js';
import { checkModels, findOnnxPython } from '../../src/onnx/checker.js';
import { exportLayersModel, samePads } from '../../src/onnx/export.js';
import { compareOnImages } from '../../src/onnx/validate.js';
import { decodeModel } from '../../src/onnx/writer.js';
import { countParameters } from '../../src/bench/memory.js';
import { selectBackend } from '../../src/train/backend.js';
import { images, perturb } from './parity-helpers.js';

const ACTS = ['relu', 'gelu', 'la_silu', 'la_hardsilu', 'velu', 'prelu', 'pangaea_p5', 'min(swish(x), a*elu(relu(b*x)))'];
const dir = mkdtempSync(join(tmpdir(), 'actbench-export-'));
const written: { label: string; file: string }[] = [];
after(() => rmSync(dir, { recursive: true, force: true }));
before(async () => {
  await selectBackend('wasm', 'infer');
});

describe('TF.js → ONNX export parity across the zoo', () => {
  it('TF-style same padding puts the extra pixel at the end', () => {
    assert.deepEqual(samePads(32, 3, 2), [0, 1]);
    assert.deepEqual(samePads(32, 3, 1), [1, 1]);
    assert.deepEqual(samePads(7, 5, 3), [2, 2]);
    assert.deepEqual(samePads(8, 4, 1), [1, 2]);
  });
  // the ImageNet-scale models (224×224, up to 45 M weights) are tested at their own size in test/models/zoo-imagenet.test.ts
  for (const name of modelNames({ scale: ['mnist', 'cifar'] })) {
    it(`${name} × ${ACTS.length} activations`, async () => {
      const small = name === 'cnn_small' || name === 'mlp';
      const shape: [number, number, number] = small ? [28, 28, 1] : [32, 32, 3];
      const norm = small ? { mean: [0.3], std: [0.3] } : { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] };
      const batch = images(shape, 4, 3);
      for (const [k, act] of ACTS.entries()) {
        const model = createModel(name, { act: resolveActivation(act), numClasses: 10, inputShape: shape, seed: k });
        perturb(model, 11 * k + 1);
        const uint8 = k % 2 === 1; // half the exports carry the preprocessing inside the graph
        // every second activation through the CPU lowerings (native ops, the option-A shortcut as a convolution)
        const e = exportLayersModel(model, { opset: 17, foldBatchNorm: k !== 2, target: k % 2 === 0 ? 'cpu' : 'any', ...(uint8 ? { preprocess: norm } : {}) });
        const f = await compareOnImages(model, e.bytes, batch, norm, { uint8Input: uint8 });
        assert.ok(f.maxAbsDiff <= 1e-4 * Math.max(1, f.logitScale), `${name}/${act}: max |Δlogit| ${f.maxAbsDiff} at logit scale ${f.logitScale}`);
        assert.equal(f.top1Agreement, 1, `${name}/${act}: top-1 agreement ${f.top1Agreement}`);
        const file = join(dir, `${name}-${k}.onnx`);
        writeFileSync(file, e.bytes);
        written.push({ label: `${name}/${act}`, file });
        model.dispose();
      }
    });
  }
  it('every exported model passes onnx.checker (full check + strict shape inference)', (t) => {
    if (!findOnnxPython()) {
      assert.notEqual(process.env.ACTBENCH_REQUIRE_ONNX_CHECKER, '1', 'python3-onnx is required in CI');
      t.skip('python3-onnx not installed');
      return;
    }
    assert.ok(written.length >= 8 * 13, `${written.length} models exported`);
    const r = checkModels(written.map((w) => w.file));
    assert.ok(r);
    const bad = r.results.filter((x) => !x.ok).map((x) => `${written.find((w) => w.file === x.file)?.label}: ${x.error}`);
    assert.deepEqual(bad, []);
  });
  it('target cpu: each option-A shortcut is one 1×1 strided convolution, with the logits of the portable graph', async () => {
    const model = createModel('resnet20', { act: resolveActivation('relu'), numClasses: 10, inputShape: [32, 32, 3], seed: 5 });
    perturb(model, 3);
    const norm = { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] };
    const ops = (bytes: Uint8Array) => decodeModel(bytes).graph?.node?.map((n) => n.opType ?? '') ?? [];
    const [cpu, any] = [exportLayersModel(model, { target: 'cpu' }).bytes, exportLayersModel(model, { target: 'any' }).bytes];
    const count = (xs: string[], op: string) => xs.filter((x) => x === op).length;
    assert.equal(count(ops(any), 'Slice'), 2, 'the portable graph subsamples with Slice');
    assert.equal(count(ops(any), 'Pad'), 2);
    assert.equal(count(ops(cpu), 'Slice') + count(ops(cpu), 'Pad'), 0);
    assert.equal(count(ops(cpu), 'Conv'), count(ops(any), 'Conv') + 2);
    // the shortcut's fixed filter is not a weight: both graphs have the model's parameter count
    assert.equal(countParameters(cpu), countParameters(any));
    const x = images([32, 32, 3], 6, 8);
    const [a, b] = [await compareOnImages(model, cpu, x, norm, { uint8Input: false }), await compareOnImages(model, any, x, norm, { uint8Input: false })];
    assert.ok(a.maxAbsDiff <= 1e-5 * Math.max(1, a.logitScale) && b.maxAbsDiff <= 1e-5 * Math.max(1, b.logitScale), `cpu ${a.maxAbsDiff}, any ${b.maxAbsDiff}`);
    model.dispose();
  });
  it('unsupported layers fail with the layer name and class', () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const out = tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, name: 'up' }).apply(input) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    assert.throws(() => exportLayersModel(m), /layer 'up' of class Conv2DTranspose has no ONNX export/);
  });
});
