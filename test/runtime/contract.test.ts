/** The model contract (src/runtime/contract.ts): property-based on model descriptions, and on real tiny ONNX files. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { benchModels } from '../../src/bench/models.js';
import { evaluateModel, onTheFlySource, readModelInfo } from '../../src/eval/evaluate.js';
import { ActbenchError } from '../../src/errors.js';
import { ResultsStore } from '../../src/results/store.js';
import { checkBatches, checkModelContract, ELEM, type DataDesc, type Dim, type ModelDesc, type TensorDesc } from '../../src/runtime/contract.js';
import { rng } from '../helpers.js';
import { tinyModel } from './tiny-onnx.js';
import { coded } from '../coded.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-contract-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** a model-contract error: the code, naming the model file and the tensor (field) */
const contractError = (code: string, file = 'm.onnx') => coded(code, { names: file, check: (e) => assert.ok(e.field, 'names the tensor') });

const data = (h: number, w: number, c: number, labels: number[], numClasses?: number): DataDesc => ({ height: h, width: w, channels: c, numClasses, labelSets: [{ what: 'clean', labels }] });
const input = (elemType: number, dims: Dim[] | null, name = 'X'): TensorDesc => ({ name, elemType, dims });
const model = (inputs: TensorDesc[], outputs: TensorDesc[]): ModelDesc => ({ file: 'm.onnx', inputs, outputs });
const logits = (k: Dim, extra: Dim[] = []): TensorDesc => ({ name: 'Y', elemType: ELEM.float32, dims: ['N', k, ...extra] });

const side = fc.integer({ min: 1, max: 64 });
const chans = fc.integer({ min: 1, max: 4 });
const layout = fc.constantFrom('float', 'uint8');
/** a dim as the model declares it: the true size, or symbolic, or unknown */
const declared = (v: number) => fc.constantFrom<Dim>(v, 'D', null);
const NOT_IMAGE_TYPES = [0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16];

function inputDims(kind: string, c: Dim, h: Dim, w: Dim): Dim[] {
  return kind === 'float' ? ['N', c, h, w] : ['N', h, w, c];
}

describe('model contract: properties', () => {
  it('a rank-4 float32 NCHW or uint8 NHWC input whose static C/H/W match the data is accepted, dynamic ones resolved from the data', () => {
    const cases = fc.tuple(layout, side, side, chans, fc.integer({ min: 2, max: 20 })).chain(([kind, h, w, c, k]) => fc.tuple(fc.constant({ kind, h, w, c, k }), declared(c), declared(h), declared(w)));
    fc.assert(
      fc.property(cases, ([{ kind, h, w, c, k }, dc, dh, dw]) => {
        const m = model([input(kind === 'float' ? ELEM.float32 : ELEM.uint8, inputDims(kind, dc, dh, dw))], [logits(k)]);
        const got = checkModelContract(m, data(h, w, c, [0, k - 1], k));
        assert.deepEqual(got.shape, [c, h, w]);
        assert.equal(got.input, kind === 'float' ? 'float-nchw' : 'uint8-nhwc');
        assert.equal(got.classes, k);
      }),
      { numRuns: 300 },
    );
  });

  it('a static C, H or W that differs from the data is refused (MODEL_INPUT_SHAPE)', () => {
    fc.assert(
      fc.property(layout, side, side, chans, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 5 }), (kind, h, w, c, which, delta) => {
        const dims = [c, h, w];
        dims[which] += delta;
        const m = model([input(kind === 'float' ? ELEM.float32 : ELEM.uint8, inputDims(kind, dims[0], dims[1], dims[2]))], [logits(10)]);
        assert.throws(() => checkModelContract(m, data(h, w, c, [1])), contractError('MODEL_INPUT_SHAPE'));
      }),
      { numRuns: 100 },
    );
  });

  it('any input type but float32 / uint8 is refused (MODEL_INPUT_TYPE)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NOT_IMAGE_TYPES), side, (t, h) => {
        assert.throws(() => checkModelContract(model([input(t, ['N', 1, h, h])], [logits(10)]), data(h, h, 1, [1])), contractError('MODEL_INPUT_TYPE'));
      }),
    );
  });

  it('an input of rank ≠ 4 (or no declared shape) is refused (MODEL_INPUT_RANK)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(null), fc.array(fc.oneof(side, fc.constant<Dim>('N')), { minLength: 0, maxLength: 7 }).filter((d) => d.length !== 4)), (dims) => {
        assert.throws(() => checkModelContract(model([input(ELEM.float32, dims)], [logits(10)]), data(8, 8, 1, [1])), contractError('MODEL_INPUT_RANK'));
      }),
    );
  });

  it('zero or several inputs are refused (MODEL_INPUT_COUNT), as are zero or several outputs (MODEL_OUTPUT_COUNT)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }).filter((n) => n !== 1), fc.integer({ min: 0, max: 4 }).filter((n) => n !== 1), (ni, no) => {
        const x = input(ELEM.float32, ['N', 1, 8, 8]);
        assert.throws(() => checkModelContract(model(Array.from({ length: ni }, (_, k) => ({ ...x, name: `X${k}` })), [logits(10)]), data(8, 8, 1, [1])), contractError('MODEL_INPUT_COUNT'));
        assert.throws(() => checkModelContract(model([x], Array.from({ length: no }, (_, k) => ({ ...logits(10), name: `Y${k}` }))), data(8, 8, 1, [1])), contractError('MODEL_OUTPUT_COUNT'));
      }),
    );
  });

  it('dynamic C/H/W without data are refused (MODEL_DYNAMIC_INPUT) unless an input shape is given; static ones must match it', () => {
    fc.assert(
      fc.property(layout, side, side, chans, (kind, h, w, c) => {
        const m = model([input(kind === 'float' ? ELEM.float32 : ELEM.uint8, inputDims(kind, c, 'H', 'W'))], [logits(10)]);
        assert.throws(() => checkModelContract(m), contractError('MODEL_DYNAMIC_INPUT'));
        assert.deepEqual(checkModelContract(m, undefined, [c, h, w]).shape, [c, h, w]);
        assert.throws(() => checkModelContract(m, undefined, [c + 1, h, w]), contractError('MODEL_INPUT_SHAPE'));
      }),
    );
  });

  it('outputs: [N, K] and [N, K, 1, 1] accepted; any other rank refused (MODEL_OUTPUT_SHAPE); non-float refused (MODEL_OUTPUT_TYPE)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constant<Dim>('N')), { minLength: 0, maxLength: 6 }), (dims) => {
        const m = model([input(ELEM.float32, ['N', 1, 4, 4])], [{ name: 'Y', elemType: ELEM.float32, dims }]);
        const ok = dims.length === 2 || (dims.length === 4 && dims[2] === 1 && dims[3] === 1);
        const k = typeof dims[1] === 'number' ? dims[1] : 12;
        const d = data(4, 4, 1, [0]);
        if (ok) {
          const c = checkModelContract(m, d);
          assert.equal(c.squeezed, dims.length === 4);
          assert.equal(c.classes, typeof dims[1] === 'number' ? k : null);
        } else {
          assert.throws(() => checkModelContract(m, d), contractError('MODEL_OUTPUT_SHAPE'));
        }
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...NOT_IMAGE_TYPES.filter((t) => t !== ELEM.float64), 2), (t) => {
        assert.throws(() => checkModelContract(model([input(ELEM.float32, ['N', 1, 4, 4])], [{ name: 'Y', elemType: t, dims: ['N', 10] }]), data(4, 4, 1, [0])), contractError('MODEL_OUTPUT_TYPE'));
      }),
    );
  });

  it('every label of every set must lie in [0, K), and K must cover the dataset classes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(fc.integer({ min: -3, max: 40 }), { minLength: 1, maxLength: 50 }), fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 40 }), (k, clean, corrupted, classes) => {
        const m = model([input(ELEM.float32, ['N', 1, 4, 4])], [logits(k)]);
        const d: DataDesc = { height: 4, width: 4, channels: 1, numClasses: classes, labelSets: [{ what: 'clean', labels: clean }, { what: 'corrupted', file: 'c/labels.npy', labels: corrupted }] };
        const bad = [...clean, ...corrupted].some((l) => l < 0 || l >= k);
        if (k < classes) assert.throws(() => checkModelContract(m, d), contractError('MODEL_TOO_FEW_CLASSES'));
        else if (bad) assert.throws(() => checkModelContract(m, d), (e: unknown) => e instanceof ActbenchError && e.code === 'MODEL_LABEL_RANGE' && e.message.includes('m.onnx') && e.message.includes(`[0, ${k})`));
        else assert.equal(checkModelContract(m, d).classes, k);
      }),
      { numRuns: 300 },
    );
  });

  it('a static batch allows only its own size in bench (MODEL_STATIC_BATCH)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.uniqueArray(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 }), (b, batches) => {
        const c = checkModelContract(model([input(ELEM.float32, [b, 1, 4, 4])], [{ name: 'Y', elemType: ELEM.float32, dims: [b, 10] }]), data(4, 4, 1, [0]));
        if (batches.every((x) => x === b)) checkBatches(c, batches);
        else assert.throws(() => checkBatches(c, batches), contractError('MODEL_STATIC_BATCH'));
      }),
    );
  });
});

describe('model contract: real ONNX files through eval and bench', () => {
  const file = (name: string, bytes: Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const r = rng(5);
  const clean = { name: 't', images: Uint8Array.from({ length: 12 * 784 }, () => Math.floor(r() * 256)), labels: Int32Array.from({ length: 12 }, (_, k) => k % 4), height: 28, width: 28, channels: 1, numClasses: 4 };
  const source = () => onTheFlySource(clean, { name: 't', corruptions: ['contrast'], severities: [3], seed: 1, batch: 5, workers: 1 });
  const evalOf = async (p: string, store = join(dir, `${Math.random()}.jsonl`)) => {
    const s = source();
    try {
      return await evaluateModel(p, s, { ep: 'cpu', store: new ResultsStore(store) });
    } finally {
      await s.close();
    }
  };

  it('refuses fewer outputs than classes, rank-1 outputs, extra inputs and outputs, integer inputs, wrong sizes — before writing anything', async () => {
    const cases: [string, Uint8Array, string][] = [
      ['few.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 3 }), 'MODEL_TOO_FEW_CLASSES'],
      ['flat.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4, reshape: 'flat' }), 'MODEL_OUTPUT_SHAPE'],
      ['two-in.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4, extraInput: true }), 'MODEL_INPUT_COUNT'],
      ['two-out.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4, extraOutput: true }), 'MODEL_OUTPUT_COUNT'],
      ['size.onnx', tinyModel({ c: 1, h: 29, w: 28, classes: 4 }), 'MODEL_INPUT_SHAPE'],
      ['nhwc-float.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4, inputDims: ['N', 28, 28, 1] }), 'MODEL_INPUT_SHAPE'],
    ];
    for (const [name, bytes, code] of cases) {
      const store = join(dir, `${name}.jsonl`);
      await assert.rejects(evalOf(file(name, bytes), store), contractError(code, name), name);
      assert.equal(new ResultsStore(store).read().length, 0, `${name}: no record`);
    }
    // an int64 input: the description says so before onnxruntime is asked
    const info = readModelInfo(file('f.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4 })));
    assert.throws(() => checkModelContract({ ...info.desc, inputs: [{ ...info.desc.inputs[0], elemType: 7 }] }, data(28, 28, 1, [0])), contractError('MODEL_INPUT_TYPE', 'f.onnx'));
  });

  it('labels ≥ K (a 4-class model on 6-class labels) are refused naming the set', async () => {
    const p = file('k4.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4 }));
    const six = { ...clean, labels: Int32Array.from({ length: 12 }, (_, k) => k % 6), numClasses: 6 };
    const s = onTheFlySource(six, { name: 'six', corruptions: ['contrast'], severities: [3], seed: 1, workers: 1 });
    await assert.rejects(evaluateModel(p, s, { ep: 'cpu', store: new ResultsStore(join(dir, 'six.jsonl')) }), contractError('MODEL_TOO_FEW_CLASSES', 'k4.onnx'));
    const noCount = { ...six, numClasses: undefined as unknown as number };
    const s2 = onTheFlySource(noCount, { name: 'six', corruptions: [], severities: [], seed: 1, workers: 1 });
    await assert.rejects(evaluateModel(p, s2, { ep: 'cpu', store: new ResultsStore(join(dir, 'six2.jsonl')) }), (e: unknown) => e instanceof ActbenchError && e.code === 'MODEL_LABEL_RANGE' && /label 4 \(row 4 of the clean set/.test(e.message));
  });

  it('[N, K, 1, 1], dynamic H/W, a dynamic class count and a static batch (padded) all score exactly like the plain [N, K] model', async () => {
    const base = (await evalOf(file('plain.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4 })))).map((x) => [x.top1, x.top5]);
    assert.ok(base.length === 2);
    for (const [name, m] of [
      ['nk11.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4, reshape: 'nk11' })],
      ['dyn.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4, inputDims: ['N', 1, 'H', 'W'] })],
      ['dynk.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4, outputDims: ['N', 'K'] })],
      ['batch4.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4, inputDims: [4, 1, 28, 28], outputDims: [4, 4] })],
    ] as const) {
      assert.deepEqual((await evalOf(file(name, m))).map((x) => [x.top1, x.top5]), base, name);
    }
  });

  it('bench: a dynamic H/W needs --input-shape (no crash on 0-sized dims); a static batch refuses other batch sizes', async () => {
    const dyn = file('bdyn.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4, inputDims: ['N', 1, 'H', 'W'] }));
    await assert.rejects(benchModels([dyn], { ep: 'cpu', batches: [1], warmup: 1, reps: 1 }), contractError('MODEL_DYNAMIC_INPUT', 'bdyn.onnx'));
    const [rec] = await benchModels([dyn], { ep: 'cpu', batches: [2], warmup: 1, reps: 2, inputShape: [1, 28, 28] });
    assert.ok(rec.imagesPerSecond > 0);
    const b4 = file('b4.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4, inputDims: [4, 1, 28, 28], outputDims: [4, 4] }));
    await assert.rejects(benchModels([b4], { ep: 'cpu', batches: [1, 4], warmup: 1, reps: 1 }), contractError('MODEL_STATIC_BATCH', 'b4.onnx'));
    assert.equal((await benchModels([b4], { ep: 'cpu', batches: [4], warmup: 1, reps: 1 })).length, 1);
    const few = file('bflat.onnx', tinyModel({ c: 1, h: 28, w: 28, classes: 4, reshape: 'flat' }));
    await assert.rejects(benchModels([few], { ep: 'cpu', batches: [1], warmup: 1, reps: 1 }), contractError('MODEL_OUTPUT_SHAPE', 'bflat.onnx'));
  });
});
