import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../../src/acts/define.js';
import { analyzeModel } from '../../src/analyze/analyze.js';
import { activationFn, applyActivation, fluctuation, parseNoise, sampleNoise } from '../../src/analyze/noise.js';
import { pca2, relativeChange, summarize } from '../../src/analyze/stats.js';
import { onnxTaps } from '../../src/analyze/taps-onnx.js';
import { tfjsTaps } from '../../src/analyze/taps-tfjs.js';
import { selectTaps } from '../../src/analyze/taps.js';
import { runAnalysis } from '../../src/api/analyze.js';
import { diagnosticsMarkdown } from '../../src/analyze/report.js';
import { subset } from '../../src/data/dataset.js';
import { encodeNpy } from '../../src/data/npy.js';
import { ActbenchError } from '../../src/errors.js';
import { prepareModel, readModelInfo } from '../../src/eval/evaluate.js';
import { createModel } from '../../src/models/registry.js';
import { exportLayersModel } from '../../src/onnx/export.js';
import { decodeModel, encodeModel, makeGraph, makeModel, makeValueInfo } from '../../src/onnx/writer.js';
import { prng } from '../../src/data/split.js';
import { cli, toyData, useCpuBackend } from '../helpers.js';

const D = 512;
const randomY = (n: number, d: number, seed: number, scale = 2) => {
  const r = prng(seed);
  return Float32Array.from({ length: n * d }, () => (r() - 0.5) * 2 * scale);
};
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return e instanceof ActbenchError ? e.code : `not coded: ${(e as Error).message}`;
  }
  return 'no error';
};

describe('activation fluctuation', () => {
  before(useCpuBackend);

  it('for f = identity equals the input fluctuation ‖ε‖ exactly, per sample', () => {
    const n = 16;
    const y = randomY(n, D, 1);
    const fn = activationFn(resolveActivation('x + 0'));
    for (const [si, s] of [{ mean: 0, std: 0.5 }, { mean: 1, std: 0.5 }].entries()) {
      const f = fluctuation(fn, y, applyActivation(fn, y, n, [D]), n, [D], s, { seed: 0, layer: 0, setting: si, firstSample: 0 });
      assert.deepEqual(Array.from(f.output), Array.from(f.input));
      assert.ok(f.input.every((v) => v > 5), 'ε is not zero');
    }
  });

  it('for relu never exceeds ‖ε‖ (1-Lipschitz), per sample, and is smaller on average', () => {
    const n = 64;
    const y = randomY(n, D, 2);
    const fn = activationFn(resolveActivation('relu'));
    for (const s of [{ mean: 0, std: 0.5 }, { mean: 1, std: 0.5 }, { mean: -3, std: 2 }]) {
      const f = fluctuation(fn, y, applyActivation(fn, y, n, [D]), n, [D], s, { seed: 5, layer: 0, setting: 0, firstSample: 0 });
      for (let k = 0; k < n; k++) assert.ok(f.output[k] <= f.input[k], `sample ${k}: ${f.output[k]} > ${f.input[k]}`);
      assert.ok(summarize(f.output).mean < 0.95 * summarize(f.input).mean);
    }
  });

  it('reports an input fluctuation whose mean matches E‖ε‖ for 512 units and N(0, 0.5²)', () => {
    // ‖ε‖/σ is chi-distributed with D degrees of freedom: E = σ√2·Γ((D+1)/2)/Γ(D/2) ≈ 0.5·√511.5 = 11.308,
    // per-sample std ≈ σ/√2 = 0.354; the mean of n = 400 samples is within 4 standard errors (0.071) of E
    const n = 400;
    const sigma = 0.5;
    const y = randomY(n, D, 3);
    const fn = activationFn(resolveActivation('relu'));
    const f = fluctuation(fn, y, applyActivation(fn, y, n, [D]), n, [D], { mean: 0, std: sigma }, { seed: 11, layer: 0, setting: 0, firstSample: 0 });
    const lgamma = (z: number) => {
      // Stirling series, accurate to ~1e-10 for z > 100
      return (z - 0.5) * Math.log(z) - z + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * z) - 1 / (360 * z ** 3);
    };
    const expected = sigma * Math.SQRT2 * Math.exp(lgamma((D + 1) / 2) - lgamma(D / 2));
    assert.ok(Math.abs(expected - 0.5 * Math.sqrt(D)) < 0.01, `E‖ε‖ ${expected} ≈ 0.5·√512`);
    const sd = Math.sqrt(sigma ** 2 * D - expected ** 2);
    const s = summarize(f.input);
    assert.ok(Math.abs(s.mean - expected) < (4 * sd) / Math.sqrt(n), `mean ${s.mean} vs E ${expected} (tolerance ${(4 * sd) / Math.sqrt(n)})`);
    assert.ok(Math.abs(s.std - sd) < 0.25 * sd, `std ${s.std} vs ${sd}`);
  });

  it('gives LayerAct the whole noisy layer vector (Definition 5: its mean and variance move with ε)', () => {
    const n = 4;
    const y = randomY(n, D, 4);
    const def = resolveActivation('la_silu');
    const fn = activationFn(def);
    const s = { mean: 1, std: 0.5 };
    const f = fluctuation(fn, y, applyActivation(fn, y, n, [D]), n, [D], s, { seed: 9, layer: 2, setting: 1, firstSample: 7 });
    const laSilu = (v: Float64Array) => {
      const mu = v.reduce((a, b) => a + b, 0) / v.length;
      const variance = v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1);
      return v.map((x) => x / (1 + Math.exp(-(x - mu) / Math.sqrt(variance + def.constants.alpha))));
    };
    for (let k = 0; k < n; k++) {
      const eps = new Float32Array(D);
      sampleNoise(eps, 0, D, s, { seed: 9, layer: 2, setting: 1, sample: 7 + k });
      const yk = Float64Array.from(y.subarray(k * D, (k + 1) * D));
      const yHat = yk.map((v, j) => Math.fround(v + eps[j]));
      const a = laSilu(yk);
      const aHat = laSilu(yHat);
      const want = Math.sqrt(aHat.reduce((acc, v, j) => acc + (v - a[j]) ** 2, 0));
      assert.ok(Math.abs(f.output[k] - want) < 1e-4 * want, `sample ${k}: ${f.output[k]} vs ${want}`);
      // a per-element σ(y) would not move with the layer mean: the two differ clearly under a shifted ε
      const elementwise = Math.sqrt(yHat.reduce((acc, v, j) => acc + (v / (1 + Math.exp(-v)) - yk[j] / (1 + Math.exp(-yk[j]))) ** 2, 0));
      assert.ok(Math.abs(elementwise - want) > 0.05 * want);
    }
  });

  it('the same seed gives the same noise; another seed, other noise', () => {
    const a = new Float32Array(64);
    const b = new Float32Array(64);
    const c = new Float32Array(64);
    sampleNoise(a, 0, 64, { mean: 0, std: 1 }, { seed: 0, layer: 0, setting: 0, sample: 3 });
    sampleNoise(b, 0, 64, { mean: 0, std: 1 }, { seed: 0, layer: 0, setting: 0, sample: 3 });
    sampleNoise(c, 0, 64, { mean: 0, std: 1 }, { seed: 1, layer: 0, setting: 0, sample: 3 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('refuses σ ≤ 0 and non-finite noise parameters with a coded error', () => {
    assert.deepEqual(parseNoise('0:0.5,1:0.5'), [{ mean: 0, std: 0.5 }, { mean: 1, std: 0.5 }]);
    for (const bad of ['0:0', '0:-1', '0:inf', 'nan:1', '1e999:1', '0', '0:0.5,0:0.5', '']) assert.equal(codeOf(() => parseNoise(bad)), 'ANALYZE_BAD_NOISE', bad);
  });
});

describe('statistics', () => {
  it('the corruption fluctuation of an input against itself is 0', () => {
    const a = randomY(8, 100, 5);
    assert.deepEqual(Array.from(relativeChange(a, a, 8, 100)), new Array(8).fill(0));
    const zero = new Float32Array(200);
    assert.deepEqual(Array.from(relativeChange(zero, zero, 2, 100)), [0, 0]);
    const b = Float32Array.from(a, (v) => 2 * v);
    assert.ok(relativeChange(b, a, 8, 100).every((v) => Math.abs(v - 1) < 1e-12));
  });

  it('PCA finds the direction of largest variance', () => {
    const n = 200;
    const r = prng(3);
    const x = new Float64Array(n * 3);
    for (let k = 0; k < n; k++) {
      const t = r() - 0.5;
      x.set([10 * t + 0.1 * (r() - 0.5), 0.1 * (r() - 0.5), -10 * t], k * 3);
    }
    const p = pca2(x, n, 3);
    assert.ok(p.explained[0] > 0.99, String(p.explained));
  });
});

describe('taps from the real model', () => {
  let dir: string;
  before(async () => {
    await useCpuBackend();
    dir = mkdtempSync(join(tmpdir(), 'actbench-analyze-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const norm = { mean: [0], std: [1] };

  for (const [model, act] of [['mlp512', 'la_silu'], ['cnn_small', 'prelu_channel']] as const) {
    it(`ONNX intermediates equal the TF.js ones (${model}, ${act}, ≤ 1e-4)`, async () => {
      const data = toyData(12, 1);
      const m = createModel(model, { act: resolveActivation(act), numClasses: 4, inputShape: [12, 12, 1], width: model === 'cnn_small' ? 0.25 : 1, seed: 2 });
      // trained-looking parameters: PReLU slopes away from their init, per channel
      for (const l of m.layers) for (const w of l.weights) if (w.name.includes('/a')) w.write(tf.randomUniform(w.shape as number[], -0.5, 0.5, 'float32', 4));
      const file = join(dir, `${model}.onnx`);
      writeFileSync(file, exportLayersModel(m, {}).bytes);
      const prepared = prepareModel(readModelInfo(file), { height: 12, width: 12, channels: 1, numClasses: 4, labelSets: [] });
      const onnxSrc = await onnxTaps(prepared, {});
      const tfSrc = tfjsTaps(m, norm, { describe: 'tfjs' });
      assert.deepEqual(onnxSrc.taps.map((t) => t.name), tfSrc.taps.map((t) => t.name));
      const shape = { height: 12, width: 12, channels: 1 };
      const [a, b] = [await onnxSrc.run(data.images, 12, shape), await tfSrc.run(data.images, 12, shape)];
      assert.deepEqual(a.shapes, b.shapes);
      const maxDiff = (x: Float32Array, y: Float32Array) => x.reduce((mx, v, k) => Math.max(mx, Math.abs(v - y[k])), 0);
      for (let k = 0; k < a.inputs.length; k++) {
        assert.ok(maxDiff(a.inputs[k], b.inputs[k]) <= 1e-4, `layer ${k} input: ${maxDiff(a.inputs[k], b.inputs[k])}`);
        assert.ok(maxDiff(a.outputs[k], b.outputs[k]) <= 1e-4, `layer ${k} output`);
      }
      assert.ok(a.penultimate && b.penultimate && maxDiff(a.penultimate.values, b.penultimate.values) <= 1e-4);
      // f rebuilt from the ONNX file (definition + trained parameters) is the function the graph computes
      const res = await analyzeModel(onnxSrc, data, { noise: [{ mean: 0, std: 0.5 }], corruptions: [], severities: [], seed: 0, batch: 5 });
      for (const l of res.layers) assert.ok(l.definitionCheck && l.definitionCheck.maxAbsDiff <= 1e-4 * Math.max(1, l.definitionCheck.maxAbsOutput), `${l.name}: ${JSON.stringify(l.definitionCheck)}`);
      await onnxSrc.close();
      m.dispose();
    });
  }

  it('finds standard activation nodes in a foreign ONNX model (Sigmoid·Mul = SiLU), and refuses a model without any', async () => {
    const W = (name: string, r: number, c: number, seed: number) => ({ name, dims: [r, c], data: Float32Array.from({ length: r * c }, (_, k) => Math.sin(k * 0.37 + seed)) });
    const graph = (withAct: boolean) =>
      makeGraph({
        name: 'foreign',
        fragments: [{
          nodes: [
            { opType: 'Flatten', name: 'flat', inputs: ['x'], outputs: ['f'], attributes: { axis: { type: 'int', value: 1 } } },
            { opType: 'MatMul', name: 'fc1', inputs: ['f', 'W1'], outputs: ['h'], attributes: {} },
            ...(withAct
              ? [
                  { opType: 'Sigmoid', name: 'sig', inputs: ['h'], outputs: ['s'], attributes: {} },
                  { opType: 'Mul', name: 'swish1', inputs: ['h', 's'], outputs: ['a'], attributes: {} },
                ]
              : [{ opType: 'Identity', name: 'id', inputs: ['h'], outputs: ['a'], attributes: {} }]),
            { opType: 'MatMul', name: 'fc2', inputs: ['a', 'W2'], outputs: ['logits'], attributes: {} },
          ],
          initializers: [W('W1', 144, 8, 1), W('W2', 8, 4, 2)],
        }],
        inputs: [makeValueInfo('x', ['N', 1, 12, 12])],
        outputs: [makeValueInfo('logits', ['N', 4])],
      });
    const desc = { height: 12, width: 12, channels: 1, numClasses: 4, labelSets: [] };
    const file = join(dir, 'foreign.onnx');
    writeFileSync(file, encodeModel(makeModel(graph(true), { opset: 17 })));
    const src = await onnxTaps(prepareModel(readModelInfo(file), desc), {});
    assert.deepEqual(src.taps.map((t) => [t.name, t.kind, t.activation?.name]), [['swish1', 'Sigmoid·Mul', 'swish']]);
    const b = await src.run(toyData(3, 2).images, 3, { height: 12, width: 12, channels: 1 });
    for (let j = 0; j < b.inputs[0].length; j++) {
      const h = b.inputs[0][j];
      assert.ok(Math.abs(b.outputs[0][j] - h / (1 + Math.exp(-h))) < 1e-5);
    }
    assert.ok(b.penultimate && b.penultimate.d === 8);
    await src.close();

    const bare = join(dir, 'bare.onnx');
    writeFileSync(bare, encodeModel(makeModel(graph(false), { opset: 17 })));
    await assert.rejects(onnxTaps(prepareModel(readModelInfo(bare), desc), {}), (e: ActbenchError) => e.code === 'ANALYZE_NO_LAYERS' && /--layers/.test(e.message));
    // any node by name
    const byName = await onnxTaps(prepareModel(readModelInfo(bare), desc), { layers: ['id'] });
    assert.deepEqual(byName.taps.map((t) => [t.name, t.activation]), [['id', null]]);
    await byName.close();
  });

  it('refuses an unknown layer name, listing the available ones', () => {
    assert.throws(() => selectTaps([{ name: 'act_0' }, { name: 'act_1' }], ['act_2x'], 'm.onnx'), (e: ActbenchError) => e.code === 'ANALYZE_UNKNOWN_LAYER' && /act_0, act_1/.test(e.message));
  });

  it('runAnalysis: same seed, same bytes; coded errors for too many images and unknown layers', async () => {
    // 28×28: the smallest images the corruptions' CIFAR preset accepts
    const small = toyData(60, 3);
    const px = 28 * 28;
    const images = new Uint8Array(60 * px);
    for (let k = 0; k < 60; k++) for (let p = 0; p < px; p++) images[k * px + p] = small.images[k * 144 + Math.floor(Math.floor(p / 28) * 12 / 28) * 12 + Math.floor((p % 28) * 12 / 28)];
    const data = { ...small, images, height: 28, width: 28 };
    const img = join(dir, 'img.npy');
    const lab = join(dir, 'lab.npy');
    writeFileSync(img, encodeNpy(data.images, [60, 28, 28, 1], 'uint8'));
    writeFileSync(lab, encodeNpy(data.labels, [60], 'int32'));
    const m = createModel('mlp512', { act: resolveActivation('relu'), numClasses: 4, inputShape: [28, 28, 1], seed: 1 });
    const file = join(dir, 'relu.onnx');
    writeFileSync(file, exportLayersModel(m, {}).bytes);
    m.dispose();
    const spec = `npy:${img},${lab}`;
    const base = { target: file, data: spec, images: 8, corruptions: ['brightness'], severities: [1, 5], seed: 7, batch: 3, backend: 'cpu' as const };
    const r1 = await runAnalysis(base);
    const first = readFileSync(join(r1.dir, 'analysis.json'));
    await assert.rejects(runAnalysis(base), (e: ActbenchError) => e.code === 'ANALYZE_EXISTS');
    await runAnalysis({ ...base, force: true });
    assert.deepEqual(readFileSync(join(r1.dir, 'analysis.json')), first);
    const recs = r1.analysis.records;
    assert.deepEqual(recs.map((r) => r.setting.label), ['N(0, 0.5²)', 'N(1, 0.5²)', 'brightness/1', 'brightness/5', 'activation mean per unit']);
    assert.ok(recs[3].output.mean > recs[2].output.mean, 'severity 5 changes the layer more than severity 1');
    const md = diagnosticsMarkdown([{ label: 'relu run', dir, analysis: r1.analysis }]).join('\n');
    assert.match(md, /## Diagnostics/);
    assert.match(md, /\| relu run \| act_0 \| relu \| N\(0, 0\.5²\) \|/);
    const other = await runAnalysis({ ...base, seed: 8, out: join(dir, 'other') });
    assert.notEqual(other.analysis.records[0].output.mean, recs[0].output.mean);
    await assert.rejects(runAnalysis({ ...base, out: join(dir, 'x'), images: 1000 }), (e: ActbenchError) => e.code === 'ANALYZE_TOO_MANY_IMAGES');
    await assert.rejects(runAnalysis({ ...base, out: join(dir, 'y'), layers: ['act_9'] }), (e: ActbenchError) => e.code === 'ANALYZE_UNKNOWN_LAYER' && /act_0/.test(e.message));
    // an older export (no recorded boundaries) is refused rather than searched node by node
    const old = decodeModel(readFileSync(file));
    old.metadataProps = old.metadataProps.filter((p) => p.key !== 'actbench.activation_io');
    const oldFile = join(dir, 'old.onnx');
    writeFileSync(oldFile, encodeModel(old));
    await assert.rejects(onnxTaps(prepareModel(readModelInfo(oldFile), { height: 28, width: 28, channels: 1, labelSets: [] }), {}), (e: ActbenchError) => e.code === 'ANALYZE_OLD_EXPORT');
    // corruption fluctuation of a batch against itself: 0 for every image
    const sub = subset(data, [0, 1, 2]);
    const src = await onnxTaps(prepareModel(readModelInfo(file), { height: 28, width: 28, channels: 1, labelSets: [] }), {});
    const [x, y] = [await src.run(sub.images, 3, sub), await src.run(sub.images, 3, sub)];
    assert.deepEqual(Array.from(relativeChange(x.outputs[0], y.outputs[0], 3, 512)), [0, 0, 0]);
    await src.close();
  });

  it('the CLI refuses bad noise with a coded error and no stack trace', () => {
    const r = cli('analyze', 'nothing.onnx', '--data', 'mnist', '--noise', '0:0');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\[ANALYZE_BAD_NOISE\]/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  });
});
