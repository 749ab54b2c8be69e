import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveActivation } from '../../src/acts/define.js';
import { exprKey, paramNames } from '../../src/acts/ir.js';
import { parseExpression } from '../../src/acts/parse.js';
import { simplify } from '../../src/acts/rewrite.js';
import { ActbenchError, ExpressionError } from '../../src/errors.js';

const key = (src: string) => exprKey(parseExpression(src).expr);

function errorAt(src: string): ExpressionError {
  try {
    parseExpression(src);
  } catch (e) {
    assert.ok(e instanceof ExpressionError, `expected ExpressionError, got ${String(e)}`);
    return e;
  }
  assert.fail(`'${src}' parsed without error`);
}

describe('expression parser', () => {
  it('follows the usual precedence: unary minus below power, power right-associative', () => {
    assert.equal(key('1 + 2*x'), 'add(1,mul(2,x))');
    assert.equal(key('-x^2'), 'neg(pow(x,2))');
    assert.equal(key('x^2^3'), 'pow(x,8)'); // 2^3 folded: right-associative
    assert.equal(key('x^y^z'), 'pow(x,pow($y,$z))');
    assert.equal(key('x**2'), 'pow(x,2)');
    assert.equal(key('(1 + x)*x'), 'mul(add(1,x),x)');
    assert.equal(key('x - x - x'), 'sub(sub(x,x),x)');
  });
  it('folds constant arithmetic so attributes can be written as expressions', () => {
    assert.equal(key('clip(x, -1, 1/6)'), `clip(x;-1,${1 / 6})`);
    assert.equal(key('leaky_relu(x)'), 'leaky_relu(x;0.01)');
  });
  it('resolves aliases, let bindings, constants and parameters', () => {
    assert.equal(key('silu(x)'), 'swish(x)');
    const r = parseExpression('A = swish(x); g = 1 + tanh(A); lambda*A*g', {});
    assert.deepEqual(r.params, ['lambda']);
    assert.ok(r.lets.A && r.lets.g);
    assert.equal(exprKey(parseExpression('a*x', { constants: { a: 0.5 } }).expr), 'mul(0.5,x)');
    assert.deepEqual(paramNames(parseExpression('min(swish(x), a*elu(relu(b*x)))').expr), ['a', 'b']);
  });
  it('user expressions get per-channel parameters initialised to 1 (PANGAEA convention)', () => {
    const def = resolveActivation('min(swish(x), a*elu(relu(b*x)))');
    assert.deepEqual(def.params, { a: { init: 1, shape: 'channel' }, b: { init: 1, shape: 'channel' } });
    const scalar = resolveActivation('prelu(x, a)', { params: { a: { shape: 'scalar', init: 0.25 } } });
    assert.deepEqual(scalar.params.a, { init: 0.25, shape: 'scalar' });
  });
  it('an unknown function points at its first character and suggests the closest names', () => {
    const e = errorAt('min(swish(x), sigmoud(x))');
    assert.equal(e.code, 'EXPR_UNKNOWN_FUNCTION');
    assert.equal(e.position, 14);
    assert.match(e.message, /did you mean 'sigmoid'/);
    assert.match(e.message, /\n {2}min\(swish\(x\), sigmoud\(x\)\)\n {16}\^/);
  });
  it('wrong arity names the signature and points at the call', () => {
    const e = errorAt('x + swish(x, x)');
    assert.equal(e.code, 'EXPR_ARITY');
    assert.equal(e.position, 4);
    assert.match(e.message, /swish\(x\) takes 1 argument, got 2/);
    assert.match(errorAt('max(x)').message, /max\(x, y\) takes 2 arguments, got 1/);
    assert.match(errorAt('clip(x, 0)').message, /clip\(x, lo, hi\) takes 3 arguments/);
  });
  it('malformed input gives positioned syntax errors', () => {
    assert.equal(errorAt('x +').position, 3);
    assert.equal(errorAt('(x + 1').code, 'EXPR_SYNTAX');
    assert.equal(errorAt('x $ 2').position, 2);
    assert.equal(errorAt('x $ 2').code, 'EXPR_BAD_CHAR');
    assert.equal(errorAt('swish(x) )').position, 9);
    assert.equal(errorAt('').code, 'EXPR_EMPTY');
    assert.equal(errorAt('clip(x, a, 1)').code, 'EXPR_ATTR_NOT_CONST');
    assert.equal(errorAt('foo*x').code, 'EXPR_UNKNOWN_NAME');
    assert.equal(errorAt('sigmoid + x').code, 'EXPR_NOT_A_VALUE');
    assert.equal(errorAt('relu = x; relu').code, 'EXPR_BAD_LET');
  });
  it('unknown catalogue names are errors with suggestions, not silent parameters', () => {
    assert.throws(() => resolveActivation('la_slu'), (e: unknown) => e instanceof ActbenchError && e.code === 'ACT_UNKNOWN' && /la_silu/.test(e.message));
    assert.throws(() => resolveActivation('la_silu:beta=2'), /has no constant 'beta'; its constants are alpha/);
    assert.throws(() => resolveActivation('la_silu:alpha=abc'), /expected name=number/);
    assert.equal(resolveActivation('gelu').name, 'gelu');
    assert.equal(resolveActivation('erf').expr, 'erf(x)'); // an operator name alone is applied to x
  });
  it('simplify folds constants and removes neutral elements', () => {
    const s = (src: string) => exprKey(simplify(parseExpression(src).expr));
    assert.equal(s('1*x + 0'), 'x');
    assert.equal(s('x/4'), 'mul(x,0.25)');
    assert.equal(s('--x'), 'x');
    assert.equal(s('x*(2+3)'), 'mul(x,5)');
    assert.equal(s('x/y'), 'div(x,$y)'); // division by a variable keeps its zero guard
  });
});
