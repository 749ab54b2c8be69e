/**
 * Native element-wise kernels: binary ops with numpy broadcasting, unary maths with the JS backend's
 * semantics (NaN handling, thresholds), AddN, Select, ClipByValue and the batch-norm forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { alloc, boolOutput, f32, output, size, u8, type KernelImpl } from './util.js';

/** op codes of native/ops.h */
const BINARY = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6, Pow: 7, Prelu: 8, EluGrad: 9 } as const;
const UNARY = {
  Relu: 0, Relu6: 1, Step: 2, Elu: 3, Sigmoid: 4, Tanh: 5, Exp: 6, Log: 7, Sqrt: 8, Rsqrt: 9, Square: 10, Neg: 11, Abs: 12,
  Reciprocal: 13, Erf: 14, Softplus: 15, LeakyRelu: 16, Sign: 17, Selu: 18, Expm1: 19, Log1p: 20, Sin: 21, Cos: 22, Floor: 23, Ceil: 24,
  ClipByValue: 25, Asin: 26, Acos: 27, Atan: 28, Sinh: 29, Cosh: 30, Tan: 31, Asinh: 32, Acosh: 33, Atanh: 34,
} as const;
const COMPARE = { Greater: 0, GreaterEqual: 1, Less: 2, LessEqual: 3, Equal: 4, NotEqual: 5 } as const;
const LOGICAL = { LogicalAnd: 0, LogicalOr: 1 } as const;

/** In-place fused activation of FusedConv2D / _FusedMatMul; false when it is not one we run natively. */
export function applyActivation(addon: NativeAddon, y: Float32Array, act: string, leakyAlpha: number): boolean {
  const op = ({ linear: -1, relu: UNARY.Relu, relu6: UNARY.Relu6, elu: UNARY.Elu, sigmoid: UNARY.Sigmoid, leakyrelu: UNARY.LeakyRelu } as Record<string, number>)[act];
  if (op === undefined) return false;
  if (op >= 0) addon.unary(op, y, y, leakyAlpha, 0);
  return true;
}

function binary(op: number, names: [string, string]): KernelImpl {
  return ({ inputs, backend }, addon) => {
    const a = inputs[names[0]], b = inputs[names[1]];
    const av = f32(backend, a), bv = f32(backend, b);
    if (!av || !bv) return null;
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = alloc(size(shape));
    addon.binary(op, av, a.shape, bv, b.shape, out, shape);
    return output(backend, shape, out);
  };
}

/** bool (bytes) results with broadcasting: float comparisons (`compare`) or bool logic (`logical`) */
function boolBinary(kind: 'compare' | 'logical', op: number): KernelImpl {
  return ({ inputs, backend }, addon) => {
    const { a, b } = inputs;
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = new Uint8Array(size(shape));
    if (kind === 'compare') {
      const av = f32(backend, a), bv = f32(backend, b);
      if (!av || !bv) return null;
      addon.compare(op, av, a.shape, bv, b.shape, out, shape);
    } else {
      const av = u8(backend, a), bv = u8(backend, b);
      if (!av || !bv) return null;
      addon.logical(op, av, a.shape, bv, b.shape, out, shape);
    }
    return boolOutput(backend, shape, out);
  };
}
const compare = (op: number) => boolBinary('compare', op);
const logical = (op: number) => boolBinary('logical', op);

function unary(op: number, alphaOf: (a: tf.NamedAttrMap) => number = () => 0, betaOf: (a: tf.NamedAttrMap) => number = () => 0): KernelImpl {
  return ({ inputs, backend, attrs = {} }, addon) => {
    const x = inputs.x;
    const xv = f32(backend, x);
    if (!xv) return null;
    const out = alloc(xv.length);
    addon.unary(op, xv, out, alphaOf(attrs), betaOf(attrs));
    return output(backend, [...x.shape], out);
  };
}

const addN: KernelImpl = ({ inputs, backend }, addon) => {
  const list = inputs as unknown as tf.TensorInfo[];
  const vals = list.map((t) => f32(backend, t));
  if (!list.length || vals.some((v) => !v) || list.some((t) => t.shape.join() !== list[0].shape.join())) return null;
  const shape = [...list[0].shape];
  const out = alloc(size(shape));
  if (list.length === 1) out.set(vals[0] as Float32Array);
  else addon.binary(BINARY.Add, vals[0] as Float32Array, shape, vals[1] as Float32Array, shape, out, shape);
  for (let k = 2; k < list.length; k++) addon.binary(BINARY.Add, out, shape, vals[k] as Float32Array, shape, out, shape);
  return output(backend, shape, out);
};

const select: KernelImpl = ({ inputs, backend }, addon) => {
  const { condition, t, e } = inputs;
  const cv = u8(backend, condition), tv = f32(backend, t), ev = f32(backend, e);
  if (!cv || !tv || !ev || cv.length !== tv.length || tv.length !== ev.length) return null;
  const out = alloc(tv.length);
  addon.select(cv, tv, ev, out);
  return output(backend, [...t.shape], out);
};

/** y = offset + (x − mean)·scale/√(var + ε) with per-channel parameters (all of one length) */
const fusedBatchNorm: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, mean, variance, offset, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
  if (!x || !mean || !variance) return null;
  const xv = f32(backend, x), mv = f32(backend, mean), vv = f32(backend, variance);
  const ov = offset ? f32(backend, offset) : null;
  const sv = scale ? f32(backend, scale) : null;
  if (!xv || !mv || !vv || (offset && !ov) || (scale && !sv)) return null;
  const C = mv.length;
  if (vv.length !== C || (ov && ov.length !== C) || (sv && sv.length !== C) || C === 0 || xv.length % C !== 0) return null;
  const out = alloc(xv.length);
  addon.batchNorm(xv, mv, vv, ov, sv, out, Number(attrs.varianceEpsilon ?? 0.001));
  return output(backend, [...x.shape], out);
};

export const ELEMENTWISE_KERNELS: Record<string, KernelImpl> = {
  Add: binary(BINARY.Add, ['a', 'b']),
  Sub: binary(BINARY.Sub, ['a', 'b']),
  Multiply: binary(BINARY.Multiply, ['a', 'b']),
  RealDiv: binary(BINARY.RealDiv, ['a', 'b']),
  Maximum: binary(BINARY.Maximum, ['a', 'b']),
  Minimum: binary(BINARY.Minimum, ['a', 'b']),
  SquaredDifference: binary(BINARY.SquaredDifference, ['a', 'b']),
  Pow: binary(BINARY.Pow, ['a', 'b']),
  Prelu: binary(BINARY.Prelu, ['x', 'alpha']),
  EluGrad: binary(BINARY.EluGrad, ['dy', 'y']),
  Relu: unary(UNARY.Relu),
  Relu6: unary(UNARY.Relu6),
  Step: unary(UNARY.Step, (a) => Number(a.alpha ?? 0)),
  Elu: unary(UNARY.Elu),
  Sigmoid: unary(UNARY.Sigmoid),
  Tanh: unary(UNARY.Tanh),
  Exp: unary(UNARY.Exp),
  Log: unary(UNARY.Log),
  Sqrt: unary(UNARY.Sqrt),
  Rsqrt: unary(UNARY.Rsqrt),
  Square: unary(UNARY.Square),
  Neg: unary(UNARY.Neg),
  Abs: unary(UNARY.Abs),
  Reciprocal: unary(UNARY.Reciprocal),
  Erf: unary(UNARY.Erf),
  Softplus: unary(UNARY.Softplus),
  LeakyRelu: unary(UNARY.LeakyRelu, (a) => Number(a.alpha ?? 0.2)),
  Sign: unary(UNARY.Sign),
  Selu: unary(UNARY.Selu),
  Expm1: unary(UNARY.Expm1),
  Log1p: unary(UNARY.Log1p),
  Sin: unary(UNARY.Sin),
  Cos: unary(UNARY.Cos),
  Floor: unary(UNARY.Floor),
  Ceil: unary(UNARY.Ceil),
  ClipByValue: unary(UNARY.ClipByValue, (a) => Number(a.clipValueMin), (a) => Number(a.clipValueMax)),
  Asin: unary(UNARY.Asin),
  Acos: unary(UNARY.Acos),
  Atan: unary(UNARY.Atan),
  Sinh: unary(UNARY.Sinh),
  Cosh: unary(UNARY.Cosh),
  Tan: unary(UNARY.Tan),
  Asinh: unary(UNARY.Asinh),
  Acosh: unary(UNARY.Acosh),
  Atanh: unary(UNARY.Atanh),
  Greater: compare(COMPARE.Greater),
  GreaterEqual: compare(COMPARE.GreaterEqual),
  Less: compare(COMPARE.Less),
  LessEqual: compare(COMPARE.LessEqual),
  Equal: compare(COMPARE.Equal),
  NotEqual: compare(COMPARE.NotEqual),
  LogicalAnd: logical(LOGICAL.LogicalAnd),
  LogicalOr: logical(LOGICAL.LogicalOr),
  AddN: addN,
  Select: select,
  FusedBatchNorm: fusedBatchNorm,
};
