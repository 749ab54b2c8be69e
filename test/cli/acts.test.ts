/** The `actbench acts` verbs as a user runs them: real processes, real files, exit codes and messages. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { cli } from '../helpers.js';
import { decodeModel } from '../../src/onnx/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));


describe('actbench acts', () => {
  it('--json prints the whole catalogue with formulas, parameters and references', () => {
    const r = cli('acts', '--json');
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { name: string; params: { name: string; shape: string; init: number }[]; constants: Record<string, number>; reference: string }[];
    const names = rows.map((x) => x.name);
    for (const n of ['relu', 'prelu', 'prelu_channel', 'hard_sigmoid', 'hard_sigmoid6', 'gelu', 'gelu_tanh', 'la_silu', 'la_hardsilu', 'velu', 'pangaea_p9']) assert.ok(names.includes(n), n);
    assert.deepEqual(rows.find((x) => x.name === 'prelu')?.params, [{ name: 'a', init: 0.25, shape: 'scalar' }]);
    assert.equal(rows.find((x) => x.name === 'la_silu')?.constants.alpha, 1e-5);
    assert.ok(rows.every((x) => x.reference.length > 5));
  });

  it('show reports the ONNX ops and minimum opset of an expression', () => {
    const r = cli('acts', 'show', 'min(swish(x), a*elu(relu(b*x)))', '--json');
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as { def: { params: Record<string, unknown> }; onnx: { ops: Record<string, number>; minOpset: number } };
    assert.deepEqual(Object.keys(d.def.params), ['a', 'b']);
    assert.deepEqual(Object.keys(d.onnx.ops).sort(), ['Elu', 'Min', 'Mul', 'Relu', 'Sigmoid']);
    assert.equal(d.onnx.minOpset, 8);
    // the probe: finite everywhere on [−12, 12]; log(x) is reported, not refused
    const log = cli('acts', 'show', 'log(x)');
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /probe +tfjs: ±inf\/NaN at 120[01] of 2401 points in \[-12, 12\]/);
  });

  it('export writes a model onnxruntime runs, with the definition in its metadata', async () => {
    const out = join(dir, 'p5.onnx');
    const r = cli('acts', 'export', 'pangaea_p5', '--shape', '2,4,3,3', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /max rel diff/);
    const s = await ort.InferenceSession.create(out);
    const x = Float32Array.from({ length: 72 }, (_, k) => k / 8 - 4.5);
    const y = (await s.run({ X: new ort.Tensor('float32', x, [2, 4, 3, 3]) })).Y.data as Float32Array;
    // at initial parameters P5 is exactly Swish
    for (let k = 0; k < 72; k++) assert.ok(Math.abs(y[k] - x[k] / (1 + Math.exp(-x[k]))) < 1e-6);
    const meta = Object.fromEntries(decodeModel(readFileSync(out)).metadataProps.map((p) => [p.key, p.value]));
    const def = JSON.parse(meta['actbench.activation']) as { name: string; params: Record<string, { init: number }> };
    assert.equal(def.name, 'pangaea_p5');
    assert.equal(def.params.alpha.init, 1);
  });

  it('bad input: unknown activation, bad opset, bad shape — exit non-zero, clear message, no file', () => {
    const out = join(dir, 'bad.onnx');
    const unknown = cli('acts', 'export', 'la_slu', '--shape', '2,4,3,3', '--out', out);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /ACT_UNKNOWN.*unknown activation 'la_slu' \(did you mean 'la_silu'/);
    const opset = cli('acts', 'export', 'relu', '--shape', '2,4,3,3', '--opset', '30', '--out', out);
    assert.equal(opset.code, 1);
    assert.match(opset.stderr, /opset must be an integer from 7 to 21, got 30/);
    const shape = cli('acts', 'export', 'relu', '--shape', '2,0', '--out', out);
    assert.equal(shape.code, 2);
    assert.match(shape.stderr, /--shape expects comma-separated positive integers/);
    const expr = cli('acts', 'show', 'x*sigmoud(x)');
    assert.equal(expr.code, 1);
    assert.match(expr.stderr, /unknown function 'sigmoud'.*\n.*x\*sigmoud\(x\)\n {4}\^/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('plot writes an SVG with f and f′ of each function', () => {
    const out = join(dir, 'plot.svg');
    const r = cli('acts', 'plot', 'relu', 'la_silu', 'x*tanh(x)', '--out', out, '--range', '-3,3');
    assert.equal(r.code, 0, r.stderr);
    const svg = readFileSync(out, 'utf8');
    assert.match(svg, /^<svg/);
    for (const label of ['relu', 'la_silu', 'x*tanh(x)', 'f′(x)']) assert.ok(svg.includes(label), label);
  });
});
