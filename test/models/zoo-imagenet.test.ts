/**
 * The ImageNet-scale zoo (torchvision's ResNet-18/50/101 and MobileNetV3-Small at 224×224):
 * - structure: trainable weights equal torchvision's parameter counts and multiply-accumulates its GFLOPS
 *   (torchvision's model tables: 11 689 512 / 25 557 032 / 44 549 160 / 2 542 856);
 * - LayerAct's α defaults to 0.1 on these models (and stays as given when the spec sets it);
 * - export parity at 224×224: ResNet-50 × {relu, la_silu (α = 0.1), velu}, MobileNetV3-Small × the same three
 *   and ResNet-18 × la_silu: max |Δlogit| ≤ 1e-4 relative to the logit scale and 100 % top-1 agreement
 *   against the TF.js forward pass on 2 structured images, BatchNorm statistics perturbed, every model passes
 *   onnx.checker;
 * - one training step through MobileNetV3-Small (the new layers: torch padding, −∞-padded max-pool in
 *   ResNet-18, the squeeze-excitation gate) gives finite, non-zero gradients.
 * The reference forward runs on the fastest backend here (tensorflow, else native).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { activationLabel } from '../../src/acts/label.js';
import { countMacs, createModel, describeModel, modelNames, resolveModelActivation } from '../../src/models/registry.js';
import { checkModels, findOnnxPython } from '../../src/onnx/checker.js';
import { exportLayersModel } from '../../src/onnx/export.js';
import { compareOnImages } from '../../src/onnx/validate.js';
import { selectBackend } from '../../src/train/backend.js';
import { trainingStepStats } from '../helpers.js';
import { images, perturb } from '../onnx/parity-helpers.js';

const SHAPE: [number, number, number] = [224, 224, 3];
const NORM = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const dir = mkdtempSync(join(tmpdir(), 'actbench-zoo-imagenet-'));
const written: { label: string; file: string }[] = [];
after(() => rmSync(dir, { recursive: true, force: true }));
before(async () => {
  await selectBackend('auto', 'train');
});

const trainable = (m: tf.LayersModel) => m.trainableWeights.reduce((a, w) => a + (w.shape as number[]).reduce((x, y) => x * y, 1), 0);

describe('ImageNet-scale zoo', () => {
  it('is registered as ImageNet scale, and only those models', () => {
    assert.deepEqual(modelNames({ scale: 'imagenet' }), ['resnet18', 'resnet50', 'resnet101', 'mobilenetv3_small']);
    for (const n of modelNames({ scale: 'imagenet' })) assert.deepEqual(describeModel(n).defaultInput, SHAPE);
    assert.ok(!modelNames({ scale: ['mnist', 'cifar'] }).some((n) => describeModel(n).scale === 'imagenet'));
  });

  it('has torchvision’s parameter counts and multiply-accumulates', () => {
    const want: Record<string, [number, number]> = {
      resnet18: [11_689_512, 1.814e9], resnet50: [25_557_032, 4.089e9], resnet101: [44_549_160, 7.801e9], mobilenetv3_small: [2_542_856, 0.0565e9],
    };
    for (const [name, [params, macs]] of Object.entries(want)) {
      const m = createModel(name, { act: 'relu', numClasses: 1000, inputShape: SHAPE });
      assert.equal(trainable(m), params, name);
      assert.ok(Math.abs(countMacs(m) / macs - 1) < 2e-3, `${name}: ${countMacs(m)} MACs`);
      assert.deepEqual(m.outputs[0].shape, [null, 1000]);
      m.dispose();
    }
  });

  it('LayerAct uses α = 0.1 unless the spec sets it; CIFAR models keep the catalogue’s 1e-5', () => {
    const a = resolveModelActivation('resnet50', 'la_silu');
    assert.equal(a.def.constants.alpha, 0.1);
    assert.deepEqual(a.applied, { alpha: 0.1 });
    assert.equal(activationLabel(a.def), 'la_silu:alpha=0.1');
    assert.equal(resolveModelActivation('mobilenetv3_small', 'la_hardsilu').def.constants.alpha, 0.1);
    const given = resolveModelActivation('resnet50', 'la_silu:alpha=1e-5');
    assert.equal(given.def.constants.alpha, 1e-5);
    assert.deepEqual(given.applied, {});
    assert.equal(resolveModelActivation('resnet20', 'la_silu').def.constants.alpha, 1e-5);
    assert.deepEqual(resolveModelActivation('resnet50', 'velu').applied, {});
    // the layers carry the resolved definition (what manifests and ONNX metadata record)
    const m = createModel('mobilenetv3_small', { act: 'la_silu', numClasses: 10, inputShape: [32, 32, 3] });
    const acts = m.layers.filter((l) => l.getClassName() === 'ActbenchActivation').map((l) => (l as unknown as { activation: { name: string; constants: Record<string, number> } }).activation);
    assert.ok(acts.filter((d) => d.name === 'la_silu').every((d) => d.constants.alpha === 0.1));
    // the squeeze-excitation gates stay ReLU and hard-sigmoid: 9 SE blocks
    assert.equal(acts.filter((d) => d.name === 'relu').length, 9);
    assert.equal(acts.filter((d) => d.name === 'hard_sigmoid6').length, 9);
    // stem, block 1's depthwise (no expansion), expansion + depthwise of blocks 2–11, last conv, classifier
    assert.equal(acts.filter((d) => d.name === 'la_silu').length, 1 + 1 + 2 * 10 + 1 + 1);
    m.dispose();
  });

  const cases: [string, string][] = [
    ['resnet50', 'relu'], ['resnet50', 'la_silu'], ['resnet50', 'velu'],
    ['mobilenetv3_small', 'relu'], ['mobilenetv3_small', 'la_silu'], ['mobilenetv3_small', 'velu'],
    ['resnet18', 'la_silu'],
  ];
  const batch = images(SHAPE, 2, 7);
  for (const [k, [name, act]] of cases.entries()) {
    it(`${name} × ${act}: ONNX = TF.js at 224×224`, async (t) => {
      const model = createModel(name, { act, numClasses: 1000, inputShape: SHAPE, seed: k });
      perturb(model, 5 * k + 2);
      const e = exportLayersModel(model, { opset: 17 });
      const f = await compareOnImages(model, e.bytes, batch, NORM, { uint8Input: false, batchSize: 2 });
      assert.ok(f.maxAbsDiff <= 1e-4 * Math.max(1, f.logitScale), `${name}/${act}: max |Δlogit| ${f.maxAbsDiff} at logit scale ${f.logitScale}`);
      assert.equal(f.top1Agreement, 1, `${name}/${act}: top-1 agreement ${f.top1Agreement}`);
      t.diagnostic(`max |Δlogit| ${f.maxAbsDiff.toExponential(2)} at logit scale ${f.logitScale.toFixed(2)}, top-1 ${100 * f.top1Agreement} %`);
      const file = join(dir, `${name}-${act}.onnx`);
      writeFileSync(file, e.bytes);
      written.push({ label: `${name}/${act}`, file });
      model.dispose();
    });
  }

  for (const name of ['resnet18', 'mobilenetv3_small']) {
    it(`${name}: a training step at 64×64 reaches every weight`, () => {
      const shape: [number, number, number] = [64, 64, 3];
      const model = createModel(name, { act: 'la_silu', numClasses: 10, inputShape: shape, width: 0.5, ...(name === 'mobilenetv3_small' ? { dropout: 0.2 } : {}) });
      const { loss, finite, nonzero } = trainingStepStats(model, shape);
      assert.ok(Number.isFinite(loss) && loss > 0, `loss ${loss}`);
      assert.ok(finite, 'all gradients finite');
      assert.ok(nonzero > 0.95, `${(100 * nonzero).toFixed(0)} % of the weights get a gradient`);
      model.dispose();
    });
  }

  it('every exported model passes onnx.checker', (t) => {
    if (!findOnnxPython()) {
      assert.notEqual(process.env.ACTBENCH_REQUIRE_ONNX_CHECKER, '1', 'python3-onnx is required in CI');
      t.skip('python3-onnx not installed');
      return;
    }
    assert.equal(written.length, cases.length);
    const r = checkModels(written.map((w) => w.file));
    assert.ok(r);
    assert.deepEqual(r.results.filter((x) => !x.ok).map((x) => `${written.find((w) => w.file === x.file)?.label}: ${x.error}`), []);
  });
});
