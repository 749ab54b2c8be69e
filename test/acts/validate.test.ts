/**
 * Validation at the activation boundary (src/acts/validate.ts): constant and argument domains,
 * numbers that cannot be represented in float32, nesting and size limits, functions that are
 * non-finite on the whole probe grid, the opset range, and the canonical label — through the API,
 * the parser and the CLI (main(), in process: coded message, exit 1, no stack trace).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { CATALOGUE } from '../../src/acts/catalogue.js';
import { compileActivation, probeActivation, resolveActivation, type ActivationDef } from '../../src/acts/define.js';
import { exprKey, type Expr } from '../../src/acts/ir.js';
import { activationLabel, labelFromMetadata } from '../../src/acts/label.js';
import { lowerActivation } from '../../src/acts/onnx.js';
import { parseExpression } from '../../src/acts/parse.js';
import { evaluateTfjs, tfjsIr } from '../../src/acts/tfjs.js';
import { LIMITS, type Domain } from '../../src/acts/validate.js';
import { exportActivation, plotActivations, showActivation } from '../../src/api/acts.js';
import { main } from '../../src/cli/main.js';
import { ActbenchError, ExpressionError } from '../../src/errors.js';
import { activationModel } from '../../src/onnx/activation-model.js';
import { checkOpset, decodeModel } from '../../src/onnx/writer.js';
import { useCpuBackend } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-validate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useCpuBackend);

/** The coded error `f` throws (failing on success or on any other kind of error, RangeError included). */
function codeOf(f: () => unknown): { code: string; message: string; position?: number } {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ActbenchError, `expected a coded ActbenchError, got ${(e as Error)?.name}: ${(e as Error)?.message?.slice(0, 200)}`);
    return { code: e.code, message: e.message, position: e instanceof ExpressionError ? e.position : undefined };
  }
  assert.fail('expected an error, got none');
}

describe('constants: every catalogue constant has a domain, checked where a spec is resolved', () => {
  it('LayerAct α and VeLU ε must be > 0: coded error naming activation, constant, value and domain', () => {
    for (const spec of ['la_silu:alpha=-1', 'la_silu:alpha=0', 'la_hardsilu:alpha=-0.1', 'velu:eps=0', 'velu:eps=-1e-6']) {
      const e = codeOf(() => resolveActivation(spec));
      assert.equal(e.code, 'ACT_CONSTANT_DOMAIN', spec);
      const [name, kv] = spec.split(':');
      const [k, v] = kv.split('=');
      assert.match(e.message, new RegExp(`constant '${k}' of '${name}' must be in \\(0, ∞\\), got ${String(Number(v)).replace('.', '\\.')}$`), spec);
    }
    // a value > 0 that is 0 in float32 is not > 0 in the graph
    assert.match(codeOf(() => resolveActivation('la_silu:alpha=1e-50')).message, /got 1e-50 \(0 in float32\)/);
  });
  it('the same check applies to API overrides and to stored definitions', () => {
    assert.equal(codeOf(() => resolveActivation('la_silu', { constants: { alpha: -1 } })).code, 'ACT_CONSTANT_DOMAIN');
    const velu = resolveActivation('velu');
    const bad: ActivationDef = { ...velu, constants: { ...velu.constants, eps: -1 } };
    assert.equal(codeOf(() => resolveActivation(bad)).code, 'ACT_CONSTANT_DOMAIN');
    assert.equal(codeOf(() => resolveActivation({ ...velu, constants: { ...velu.constants, m: Infinity } })).code, 'ACT_CONSTANT_NONFINITE');
  });
  it('unknown constant names are errors with close matches', () => {
    const e = codeOf(() => resolveActivation('la_silu:alhpa=0.1'));
    assert.equal(e.code, 'ACT_UNKNOWN_CONSTANT');
    assert.match(e.message, /no constant 'alhpa' \(did you mean 'alpha'\?\); its constants are alpha/);
    assert.match(codeOf(() => resolveActivation('velu:epsilon=1')).message, /did you mean 'eps'/);
  });
  it('in-domain values are accepted and used', () => {
    assert.equal(resolveActivation('la_silu:alpha=0.1').constants.alpha, 0.1);
    assert.equal(resolveActivation('leaky_relu:slope=-0.5').constants.slope, -0.5);
    assert.equal(resolveActivation('velu:eps=1e-3,m=-2').constants.eps, 1e-3);
  });
  it('every catalogue default lies in its declared domain', () => {
    for (const e of CATALOGUE) for (const k of Object.keys(e.constants ?? {})) assert.ok(e.domains?.[k], `${e.name}.${k} has no domain`);
    for (const e of CATALOGUE) resolveActivation(e.name, { constants: { ...(e.constants ?? {}) } });
  });

  // property: random values at and around each domain's edges are accepted iff in the domain
  const EDGES = [0, -0, 1e-45, -1e-45, 1.4e-45, 1e-46, 1e-5, -1e-5, 1, -1, 3.4028234663852886e38, -3.4028234663852886e38, 3.4028235e38, 3.5e38, -3.5e38, 1e39, NaN, Infinity, -Infinity];
  const value = fc.oneof(fc.constantFrom(...EDGES), fc.double(), fc.double({ min: -1e-40, max: 1e-40 }));
  /** independent oracle: float32-finite, and > 0 (after rounding) where the domain is (0, ∞) */
  const accepted = (v: number, d: Domain) => Number.isFinite(Math.fround(v)) && (d.min === undefined || Math.fround(v) > d.min);
  const withConstants = CATALOGUE.filter((e) => e.constants);
  it('property: catalogue constants accepted iff in domain, as spec strings and as overrides', () => {
    fc.assert(
      fc.property(fc.constantFrom(...withConstants), fc.nat(), value, (entry, pick, v) => {
        const keys = Object.keys(entry.constants ?? {});
        const k = keys[pick % keys.length];
        const d = entry.domains?.[k] ?? {};
        for (const attempt of [() => resolveActivation(`${entry.name}:${k}=${String(v)}`), () => resolveActivation(entry.name, { constants: { [k]: v } })]) {
          let ok = true;
          try {
            attempt();
          } catch (e) {
            assert.ok(e instanceof ActbenchError && ['ACT_CONSTANT_DOMAIN', 'ACT_CONSTANT_NONFINITE'].includes(e.code), `${entry.name}.${k}=${v}: ${String(e)}`);
            ok = false;
          }
          assert.equal(ok, accepted(v, d), `${entry.name}:${k}=${v}`);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('numbers that cannot be represented in float32 are refused, pointing at the character', () => {
  it('literals that are not finite in float32', () => {
    for (const [src, at] of [['1e999*x', 0], ['x + 1e39*x', 4], ['3.5e38 - x', 0], ['relu(x)*inf', 8], ['nan', 0], ['x + Infinity', 4]] as const) {
      const e = codeOf(() => resolveActivation(src));
      assert.equal(e.code, 'ACT_CONSTANT_NONFINITE', src);
      assert.equal(e.position, at, src);
    }
    assert.match(codeOf(() => resolveActivation('1e39*x')).message, /1e\+39 overflows float32/);
  });
  it('folded constants that overflow, and spec values', () => {
    assert.equal(codeOf(() => resolveActivation('1e20*1e20*x')).code, 'ACT_CONSTANT_NONFINITE');
    assert.equal(codeOf(() => resolveActivation('x + exp(100)')).code, 'ACT_CONSTANT_NONFINITE');
    for (const spec of ['la_silu:alpha=inf', 'la_silu:alpha=-Infinity', 'la_silu:alpha=NaN', 'la_silu:alpha=1e39', 'leaky_relu:slope=1e999']) {
      assert.equal(codeOf(() => resolveActivation(spec)).code, 'ACT_CONSTANT_NONFINITE', spec);
    }
    assert.equal(codeOf(() => resolveActivation('la_silu:alpha=abc')).code, 'ACT_BAD_OPTION');
  });
  it('the largest float32, subnormals and zero are fine', () => {
    for (const src of ['3.4e38*x', '3.4028234663852886e38*x', '1e-45*x', '1e-50*x', '0*x + x', 'x*1e-38']) resolveActivation(src);
  });
});

describe('operator arguments have domains', () => {
  it('clip(x, 1, 0): lo > hi, pointing at the call', () => {
    const e = codeOf(() => resolveActivation('x + clip(x, 1, 0)'));
    assert.equal(e.code, 'ACT_ARG_DOMAIN');
    assert.equal(e.position, 4);
    assert.match(e.message, /clip\(x, lo, hi\) needs lo ≤ hi, got lo = 1, hi = 0/);
    resolveActivation('clip(x, 0, 0) + x');
  });
  it('lnorm eps must be > 0; leaky_relu slope finite; pointing at the argument', () => {
    const e = codeOf(() => resolveActivation('lnorm(x, 0)'));
    assert.equal(e.code, 'ACT_ARG_DOMAIN');
    assert.equal(e.position, 9);
    assert.equal(codeOf(() => resolveActivation('x*sigmoid(lnorm(x, -1e-5))')).code, 'ACT_ARG_DOMAIN');
    const s = codeOf(() => resolveActivation('leaky_relu(x, 1e39)'));
    assert.equal(s.code, 'ACT_CONSTANT_NONFINITE');
    assert.equal(s.position, 14);
    resolveActivation('leaky_relu(x, -0.3)');
  });
});

describe('depth and size limits: a coded error, never a RangeError', () => {
  const N = 20_000;
  it('20 000-deep parentheses, sums, calls, signs and powers', () => {
    const cases: [string, string][] = [
      ['('.repeat(N) + 'x' + ')'.repeat(N), 'ACT_TOO_DEEP'],
      [Array(N).fill('x').join('+'), 'ACT_TOO_DEEP'],
      [Array(N).fill('x').join('*'), 'ACT_TOO_DEEP'],
      ['relu('.repeat(N) + 'x' + ')'.repeat(N), 'ACT_TOO_LARGE'], // 120 001 characters
      ['relu('.repeat(300) + 'x' + ')'.repeat(300), 'ACT_TOO_DEEP'],
      ['-'.repeat(N) + 'x', 'ACT_TOO_DEEP'],
      [Array(N).fill('x').join('^'), 'ACT_TOO_DEEP'],
    ];
    for (const [src, code] of cases) assert.equal(codeOf(() => resolveActivation(src)).code, code, src.slice(0, 20));
  });
  it('wide expressions beyond the node limit', () => {
    let s = 'x';
    for (let k = 0; k < 14; k++) s = `(${s})+(${s.replace(/x/g, 'x')})`; // 2¹⁴ leaves, depth 15
    assert.ok(s.length < LIMITS.sourceChars);
    assert.equal(codeOf(() => resolveActivation(s)).code, 'ACT_TOO_LARGE');
  });
  it('macros that expand deep (atan nested 60 times, CUDA-safe) are refused before expanding', () => {
    const e = codeOf(() => resolveActivation('atan('.repeat(60) + 'x' + ')'.repeat(60)));
    assert.equal(e.code, 'ACT_TOO_DEEP');
    assert.match(e.message, /once its operators are expanded/);
  });
  it('just under the limits the whole pipeline works: parse, TF.js, ONNX lowering', () => {
    const d = LIMITS.depth - 6;
    for (const src of ['relu('.repeat(d) + 'x' + ')'.repeat(d), Array(d).fill('x').join('+'), '('.repeat(d) + 'x' + ')'.repeat(d)]) {
      const def = resolveActivation(src);
      const c = compileActivation(def);
      lowerActivation(def, { opset: 17, layout: 'NCHW', featureShape: [2], input: 'X', output: 'Y' });
      const y = tf.tidy(() => evaluateTfjs(tfjsIr(c.ir), tf.tensor2d([[-1, 2]]), {}).dataSync());
      assert.ok(Number.isFinite(y[1]));
    }
  });
  it('shared sub-expressions whose written-out form is exponential do not exhaust string length', () => {
    let s = 'a0 = x*x; ';
    for (let k = 1; k < 40; k++) s += `a${k} = a${k - 1}*a${k - 1}; `;
    const def = resolveActivation(`${s}tanh(a39)`);
    lowerActivation(def, { opset: 17, layout: 'NCHW', featureShape: [2], input: 'X', output: 'Y' });
    // atan's CUDA-safe form uses its argument several times: nested four deep it used to be a 5·10⁹-character key
    lowerActivation(resolveActivation('atan(atan(atan(atan(x))))'), { opset: 17, layout: 'NCHW', featureShape: [2], input: 'X', output: 'Y' });
  });
  it('property: deep nestings of every kind give ACT_TOO_DEEP/ACT_TOO_LARGE, never a RangeError', () => {
    const kinds: ((n: number) => string)[] = [
      (n) => '('.repeat(n) + 'x' + ')'.repeat(n),
      (n) => Array(n).fill('x').join(' + '),
      (n) => Array(n).fill('x').join('-'),
      (n) => 'tanh('.repeat(n) + 'x' + ')'.repeat(n),
      (n) => 'max(x, '.repeat(n) + 'x' + ')'.repeat(n),
      (n) => '-('.repeat(n) + 'x' + ')'.repeat(n),
      (n) => Array(n).fill('x').join('**'),
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: kinds.length - 1 }), fc.integer({ min: LIMITS.depth + 1, max: 25_000 }), (k, n) => {
        const e = codeOf(() => resolveActivation(kinds[k](n)));
        assert.ok(['ACT_TOO_DEEP', 'ACT_TOO_LARGE'].includes(e.code), e.code);
      }),
      { numRuns: 40 },
    );
  });

  // random expression trees under the limits parse, and print back to the same IR
  const UNARY = ['tanh', 'relu', 'swish', 'softplus', 'abs', 'erf', 'sigmoid', 'atan', 'elu', 'neg'];
  const BINARY = ['+', '-', '*', '/', 'max', 'min'];
  const tree = fc.letrec<{ t: string }>((tie) => ({
    t: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant('x'),
      fc.constantFrom('a', 'b1'),
      fc.double({ min: -100, max: 100, noNaN: true }).map((v) => `(${v})`),
      fc.tuple(fc.constantFrom(...UNARY), tie('t')).map(([op, a]) => `${op}(${a})`),
      fc.tuple(fc.constantFrom(...BINARY), tie('t'), tie('t')).map(([op, a, b]) => (op.length === 1 ? `(${a}) ${op} (${b})` : `${op}(${a}, ${b})`)),
      fc.tuple(tie('t'), fc.double({ min: -5, max: 5, noNaN: true })).map(([a, lo]) => `clip(${a}, ${lo}, ${lo + 1})`),
    ),
  })).t;
  /** the IR printed back into the expression language */
  function print(e: Expr): string {
    switch (e.kind) {
      case 'input':
        return 'x';
      case 'const':
        return `(${Object.is(e.value, -0) ? '-0' : e.value})`;
      case 'param':
        return e.name;
      case 'call':
        return `${e.op}(${[...e.args.map(print), ...e.attrs.map((a) => `(${a})`)].join(', ')})`;
    }
  }
  it('property: random trees under the limits parse and round-trip through printing', () => {
    fc.assert(
      fc.property(tree, (src) => {
        let a: Expr;
        try {
          a = parseExpression(src).expr;
        } catch (e) {
          // folding tiny/tiny can leave float32's range: a refusal, never anything else
          assert.ok(e instanceof ActbenchError && e.code === 'ACT_CONSTANT_NONFINITE', `${src}: ${String(e)}`);
          return;
        }
        const b = parseExpression(print(a)).expr;
        assert.equal(exprKey(b), exprKey(a), src);
      }),
      { numRuns: 300 },
    );
  });
});

describe('functions non-finite on the whole probe grid are refused; partial non-finiteness is reported', () => {
  it('non-finite everywhere: ACT_NONFINITE_EVERYWHERE', () => {
    for (const src of ['log(-relu(x)-1)', 'sqrt(-1-x*x)', '0*log(0*x)', 'fdiv(1, 0*x)', 'cosh(cosh(cosh(cosh(cosh(cosh(x))))))', 'asin(2 + x*x)']) {
      const e = codeOf(() => resolveActivation(src));
      assert.equal(e.code, 'ACT_NONFINITE_EVERYWHERE', src);
      assert.match(e.message, /at every one of 2401 probe points in \[-12, 12\]/);
    }
  });
  it('partially non-finite functions are allowed, with the count reported', () => {
    for (const src of ['log(x)', 'sqrt(x)', 'fdiv(1, x)', 'log(x)*0']) {
      const p = probeActivation(resolveActivation(src));
      assert.ok(p.every((r) => r.nonFinite > 0 && r.nonFinite < r.points), src);
    }
    const show = showActivation('log(x)');
    assert.ok(show.probe[0].nonFinite >= 1200 && show.probe[0].nonFinite <= 1201, String(show.probe[0].nonFinite));
  });
  it('the whole catalogue is finite on the probe grid', () => {
    for (const e of CATALOGUE) for (const r of probeActivation(resolveActivation(e.name))) assert.equal(r.nonFinite, 0, `${e.name} (${r.form})`);
  });
  it('show, export and plot all refuse through the same validation', async () => {
    const out = join(dir, 'nan.onnx');
    assert.equal(codeOf(() => showActivation('sqrt(-1-x*x)')).code, 'ACT_NONFINITE_EVERYWHERE');
    await assert.rejects(exportActivation('sqrt(-1-x*x)', { shape: [1, 4], out }), (e: unknown) => e instanceof ActbenchError && e.code === 'ACT_NONFINITE_EVERYWHERE');
    await assert.rejects(plotActivations(['relu', 'clip(x, 1, 0)'], { out: join(dir, 'p.svg') }), (e: unknown) => e instanceof ActbenchError && e.code === 'ACT_ARG_DOMAIN');
    assert.equal(existsSync(out), false);
  });
});

describe('opsets: one table, one check naming the supported range', () => {
  it('7–21 accepted; 0, 6, 22, 99, 2.5, abc refused with ONNX_BAD_OPSET', () => {
    assert.equal(checkOpset(7), 7);
    assert.equal(checkOpset('21'), 21);
    for (const bad of [0, 6, 22, 99, 2.5, NaN, '2.5', 'abc', '', '1e1']) {
      const e = codeOf(() => checkOpset(bad));
      assert.equal(e.code, 'ONNX_BAD_OPSET');
      assert.match(e.message, /must be an integer from 7 to 21/);
    }
    assert.match(codeOf(() => checkOpset(12, { min: 13, what: 'network export opset' })).message, /network export opset must be an integer from 13 to 21, got 12/);
  });
});

describe('the canonical activation label', () => {
  it('catalogue name plus non-default constants, sorted; custom: the expression', () => {
    assert.equal(activationLabel(resolveActivation('la_silu')), 'la_silu');
    assert.equal(activationLabel(resolveActivation('la_silu:alpha=0.1')), 'la_silu:alpha=0.1');
    assert.equal(activationLabel(resolveActivation('la_silu:alpha=1e-5')), 'la_silu');
    assert.equal(activationLabel(resolveActivation('velu:m=0.5,eps=0.001')), 'velu:eps=0.001,m=0.5');
    assert.equal(activationLabel(resolveActivation('silu')), 'swish');
    assert.equal(activationLabel(resolveActivation('x*tanh(x)')), 'x*tanh(x)');
    const c = resolveActivation('a*x', { constants: { a: 0.5 } });
    assert.equal(activationLabel(c), 'a = 0.5; a*x');
    assert.deepEqual(compileActivation(resolveActivation(activationLabel(c))).ir, compileActivation(c).ir);
  });
  it('from an exported model’s metadata', () => {
    const bytes = activationModel(resolveActivation('velu:eps=0.001'), { shape: [1, 2] });
    const meta = Object.fromEntries(decodeModel(bytes).metadataProps.map((p) => [p.key, p.value]));
    assert.equal(labelFromMetadata(meta), 'velu:eps=0.001');
    assert.equal(labelFromMetadata({}), undefined);
    assert.equal(labelFromMetadata({ 'actbench.activation': '{not json' }), undefined);
  });
  it('property: a catalogue label resolves back to the same constants', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CATALOGUE.filter((e) => e.constants)), fc.double({ min: 1e-30, max: 1e30, noNaN: true }), (e, v) => {
        const k = Object.keys(e.constants ?? {})[0];
        const def = resolveActivation(e.name, { constants: { [k]: v } });
        assert.deepEqual(resolveActivation(activationLabel(def)).constants, def.constants);
      }),
      { numRuns: 100 },
    );
  });
});

describe('the CLI reports validation errors as coded messages, exit 1, no stack trace', () => {
  async function run(...args: string[]): Promise<{ code: number; stderr: string }> {
    const lines: string[] = [];
    const err = console.error;
    const log = console.log;
    console.error = (...a: unknown[]) => lines.push(a.map(String).join(' '));
    console.log = () => {};
    try {
      return { code: await main(['node', 'actbench', ...args]), stderr: lines.join('\n') };
    } finally {
      console.error = err;
      console.log = log;
    }
  }
  it('show, export and plot', async () => {
    const out = join(dir, 'cli.onnx');
    const cases: [string[], string][] = [
      [['acts', 'show', 'la_silu:alpha=-1'], 'ACT_CONSTANT_DOMAIN'],
      [['acts', 'show', 'la_silu:alhpa=1'], 'ACT_UNKNOWN_CONSTANT'],
      [['acts', 'show', '1e39*x'], 'ACT_CONSTANT_NONFINITE'],
      [['acts', 'show', 'clip(x, 1, 0)'], 'ACT_ARG_DOMAIN'],
      [['acts', 'show', '('.repeat(20_000) + 'x' + ')'.repeat(20_000)], 'ACT_TOO_DEEP'],
      [['acts', 'show', Array(20_000).fill('x').join('+')], 'ACT_TOO_DEEP'],
      [['acts', 'export', 'log(-relu(x)-1)', '--shape', '1,4', '--out', out, '--backend', 'cpu'], 'ACT_NONFINITE_EVERYWHERE'],
      [['acts', 'export', 'velu:eps=0', '--shape', '1,4', '--out', out, '--backend', 'cpu'], 'ACT_CONSTANT_DOMAIN'],
      [['acts', 'plot', 'relu', 'lnorm(x, 0)', '--out', join(dir, 'p.svg'), '--backend', 'cpu'], 'ACT_ARG_DOMAIN'],
      ...['99', '0', '6', '22', '2.5', 'abc'].map((o): [string[], string] => [['acts', 'export', 'relu', '--shape', '1,4', '--out', out, '--opset', o, '--backend', 'cpu'], 'ONNX_BAD_OPSET']),
      [['acts', 'show', 'relu', '--opset', '99'], 'ONNX_BAD_OPSET'],
    ];
    for (const [argv, code] of cases) {
      const r = await run(...argv);
      const label = argv.join(' ').slice(0, 60);
      assert.equal(r.code, 1, `${label}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`actbench: error \\[${code}\\]`), label);
      assert.doesNotMatch(r.stderr, /internal error|RangeError|\n\s+at /, label);
      if (code === 'ONNX_BAD_OPSET') assert.match(r.stderr, /from 7 to 21/);
    }
    assert.equal(existsSync(out), false);
  });
});
