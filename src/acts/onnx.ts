/**
 * ONNX renderer: IR → standard ai.onnx nodes (no custom ops) for a given opset and layout.
 * The output is plain data (nodes + initializers) built with src/onnx/graph.ts; writer.ts turns it into protobuf.
 *
 * Choices: fused standard ops where they exist (LayerNormalization ≥ 17, HardSigmoid, HardSwish ≥ 14,
 * Softsign, Mish ≥ 18, Gelu ≥ 20); ops without a CUDA kernel (Asin, Atan, Sinh, Cosh, Asinh) are rewritten
 * into ops that have one unless `cudaSafe: false`. Which op exists from which opset: src/onnx/opsets.ts.
 */
import { ActbenchError } from '../errors.js';
import { f, GraphBuilder, i, s, type OnnxFragment } from '../onnx/graph.js';
import { hasOp, OpsetTooLow, SUPPORTED_OPSETS } from '../onnx/opsets.js';
import { compileActivation, type ActivationDef } from './define.js';
import { call, exprKey, paramNames, rewrite, type Expr, type ParamDef } from './ir.js';
import { OPS, type PrimitiveOp } from './ops.js';
import { fuseHardSwish, lowerMacros } from './rewrite.js';
import type { Layout } from './tfjs.js';

// The node/tensor types, attribute helpers and the opset table have their homes in src/onnx/; re-exported for existing importers.
export { f, i, ints, s, type OnnxAttr, type OnnxFragment, type OnnxNodeSpec, type OnnxTensorSpec } from '../onnx/graph.js';
export { ONNX_OP_SINCE, OpsetTooLow } from '../onnx/opsets.js';

export type ExportTarget = 'cpu' | 'cuda' | 'any';
export const EXPORT_TARGETS: readonly ExportTarget[] = ['cpu', 'cuda', 'any'];

/** The rewrites a target asks for; an explicit cudaSafe (the older --native-ops switch) wins. */
export function targetRewrites(target: ExportTarget = 'any', cudaSafe?: boolean): { cudaSafe: boolean; cpu: boolean } {
  return { cudaSafe: cudaSafe ?? target !== 'cpu', cpu: target === 'cpu' };
}

export interface LowerOptions {
  opset: number;
  /** layout of the tensor the activation is applied to */
  layout: Layout;
  /** shape without the batch dimension, in `layout` order (needed for parameters and LayerAct's D) */
  featureShape: readonly number[];
  input: string;
  output: string;
  /** prefix for every node, tensor and initializer name (one per activation layer in a network) */
  prefix?: string;
  /**
   * the provider the graph is for: 'any' (default) the portable graph, 'cuda' the same CUDA-safe rewrites,
   * 'cpu' native Asin/Atan/Sinh/Cosh/Asinh and the CPU-fast exact forms (ops.ts `cpu`)
   */
  target?: ExportTarget;
  /** rewrite ops without CUDA kernels (default: target ≠ 'cpu') */
  cudaSafe?: boolean;
  /** trained parameter values in TF.js (channels-last) order; defaults to each parameter's init */
  paramValues?: Readonly<Record<string, Float32Array | number[]>>;
}

interface LCtx {
  g: GraphBuilder;
  opts: LowerOptions;
  rank: number;
}

type Lowering = (ctx: LCtx, args: string[], attrs: readonly number[]) => string;

const allAxes = (rank: number) => Array.from({ length: rank - 1 }, (_, k) => k + 1);
const channelAxis = ({ opts, rank }: LCtx) => (opts.layout === 'NCHW' || rank === 2 ? 1 : rank - 1);

/** Where(x == 0, 0, op(Where(x == 0, 1, x))): the safe forms of PANGAEA (activations.md §5.4–5.5). */
function guardZero(ctx: LCtx, x: string, body: (safe: string) => string): string {
  const { g } = ctx;
  const z = g.node('Equal', [x, g.scalar(0)]);
  const safe = g.node('Where', [z, g.scalar(1), x]);
  return g.node('Where', [z, g.scalar(0), body(safe)]);
}

/**
 * LayerAct's normalisation over all non-batch axes, (y−μ)/√(v_unbiased + α): one LayerNormalization where the
 * opset has it, else ReduceMean/Sub/Mul/Sqrt/Div.
 */
function lowerLayerNorm(c: LCtx, [x]: string[], [eps]: readonly number[]): string {
  const { g, opts, rank } = c;
  const d = opts.featureShape.reduce((p, q) => p * q, 1);
  const unbias = d > 1 ? (d - 1) / d : 1;
  if (hasOp('LayerNormalization', g.opset)) {
    // LayerNormalization uses the biased variance; LayerAct's code the unbiased one:
    // (y−μ)/√(v·D/(D−1) + α) = √((D−1)/D)·(y−μ)/√(v + α(D−1)/D)   (activations.md §5.2)
    // the scale has the normalised shape: onnxruntime's CPU kernel takes a per-element broadcast path for a
    // [1] scale (ResNet-20 LayerAct 1.5× → 1.2× the ReLU model's time, reports/bench-deploy.md). Expand of
    // a scalar keeps the file small; onnxruntime folds it into a constant at session creation. No bias
    // input: an explicit empty one after an Add is the SkipLayerNormFusion crash pattern (session.ts)
    const scale = g.node('Expand', [g.scalar(Math.sqrt(unbias)), g.int64s([...opts.featureShape])]);
    return g.node('LayerNormalization', [x, scale], { axis: i(1), epsilon: f(eps * unbias) });
  }
  const centred = g.node('Sub', [x, g.reduceMean(x, allAxes(rank))]);
  const v = g.node('Mul', [g.reduceMean(g.node('Mul', [centred, centred]), allAxes(rank)), g.scalar(1 / unbias)]);
  return g.node('Div', [centred, g.node('Sqrt', [g.node('Add', [v, g.scalar(eps)])])]);
}

const LOWER: Record<PrimitiveOp, Lowering> = {
  neg: ({ g }, [x]) => g.node('Neg', [x]),
  abs: ({ g }, [x]) => g.node('Abs', [x]),
  recip: (c, [x]) => guardZero(c, x, (safe) => c.g.node('Reciprocal', [safe])),
  square: ({ g }, [x]) => g.node('Mul', [x, x]),
  exp: ({ g }, [x]) => g.node('Exp', [x]),
  // no Expm1 in ONNX
  expm1: ({ g }, [x]) => g.node('Sub', [g.node('Exp', [x]), g.scalar(1)]),
  erf: ({ g }, [x]) => g.node('Erf', [x]),
  sinh: ({ g }, [x]) => g.node('Sinh', [x]),
  cosh: ({ g }, [x]) => g.node('Cosh', [x]),
  tanh: ({ g }, [x]) => g.node('Tanh', [x]),
  asinh: ({ g }, [x]) => g.node('Asinh', [x]),
  atan: ({ g }, [x]) => g.node('Atan', [x]),
  asin: ({ g }, [x]) => g.node('Asin', [x]),
  sin: ({ g }, [x]) => g.node('Sin', [x]),
  cos: ({ g }, [x]) => g.node('Cos', [x]),
  sigmoid: ({ g }, [x]) => g.node('Sigmoid', [x]),
  softplus: ({ g }, [x]) => g.node('Softplus', [x]),
  relu: ({ g }, [x]) => g.node('Relu', [x]),
  elu: ({ g }, [x]) => g.node('Elu', [x], { alpha: f(1) }),
  // explicit constants: ONNX's defaults are float32 roundings, TF.js uses the same values
  selu: ({ g }, [x]) => g.node('Selu', [x], { alpha: f(1.6732632423543772), gamma: f(1.0507009873554805) }),
  sqrt: ({ g }, [x]) => g.node('Sqrt', [x]),
  log: ({ g }, [x]) => g.node('Log', [x]),
  sign: ({ g }, [x]) => g.node('Sign', [x]),
  leaky_relu: ({ g }, [x], [slope]) => g.node('LeakyRelu', [x], { alpha: f(slope) }),
  clip: ({ g }, [x], [lo, hi]) =>
    hasOp('Clip', g.opset)
      ? g.node('Clip', [x, g.scalar(lo), g.scalar(hi)])
      : g.node('Min', [g.node('Max', [x, g.scalar(lo)]), g.scalar(hi)]),
  add: ({ g }, [a, b]) => g.node('Add', [a, b]),
  sub: ({ g }, [a, b]) => g.node('Sub', [a, b]),
  mul: ({ g }, [a, b]) => g.node('Mul', [a, b]),
  div: (c, [a, b]) => guardZero(c, b, (safe) => c.g.node('Div', [a, safe])),
  fdiv: ({ g }, [a, b]) => g.node('Div', [a, b]),
  pow: ({ g }, [a, b]) => {
    const pos = g.node('Greater', [a, g.scalar(0)]);
    const base = g.node('Where', [pos, a, g.scalar(1)]);
    return g.node('Where', [pos, g.node('Pow', [base, b]), g.scalar(0)]);
  },
  max: ({ g }, [a, b]) => g.node('Max', [a, b]),
  min: ({ g }, [a, b]) => g.node('Min', [a, b]),
  prelu: ({ g }, [x, a]) => g.node('PRelu', [x, a]),
  where_gt: ({ g }, [c, a, b]) => g.node('Where', [g.node('Greater', [c, g.scalar(0)]), a, b]),
  lmean: (c, [x]) => c.g.reduceMean(x, allAxes(c.rank)),
  cmean: (c, [x]) => c.g.reduceMean(x, [channelAxis(c)]),
  lnorm: lowerLayerNorm,
};

/** Macro ops printed with one fused standard op (`op`) when the opset has it (opsets.ts). */
const NATIVE_MACROS: Record<string, { op: string; lower: Lowering }> = {
  hard_sigmoid: { op: 'HardSigmoid', lower: ({ g }, [x]) => g.node('HardSigmoid', [x], { alpha: f(0.2), beta: f(0.5) }) },
  hard_sigmoid6: { op: 'HardSigmoid', lower: ({ g }, [x]) => g.node('HardSigmoid', [x], { alpha: f(1 / 6), beta: f(0.5) }) },
  softsign: { op: 'Softsign', lower: ({ g }, [x]) => g.node('Softsign', [x]) },
  hard_silu: { op: 'HardSwish', lower: ({ g }, [x]) => g.node('HardSwish', [x]) },
  mish: { op: 'Mish', lower: ({ g }, [x]) => g.node('Mish', [x]) },
  gelu: { op: 'Gelu', lower: ({ g }, [x]) => g.node('Gelu', [x], { approximate: s('none') }) },
  gelu_tanh: { op: 'Gelu', lower: ({ g }, [x]) => g.node('Gelu', [x], { approximate: s('tanh') }) },
};

/** The fused lowering of a macro op, when the opset has its op and no CPU rewrite replaces it. */
function nativeMacro(op: string, opset: number, cpu: boolean): Lowering | undefined {
  const m = NATIVE_MACROS[op];
  // a CPU rewrite replaces the native macro op too (onnxruntime's Mish is Softplus·Tanh inside)
  return m && hasOp(m.op, opset) && !(cpu && OPS.get(op)?.cpu !== undefined) ? m.lower : undefined;
}

/** The IR as the ONNX renderer prints it at this opset (macros expanded, CUDA rewrites applied). */
export function onnxIr(ir: Expr, opset: number, cudaSafe = true, cpu = false): Expr {
  const fused = hasOp('HardSwish', opset) ? fuseHardSwish(ir) : ir;
  return lowerMacros(fused, (op) => nativeMacro(op, opset, cpu) !== undefined, cudaSafe, cpu);
}

/** Parameter tensor in ONNX layout from TF.js (channels-last) values. */
function paramTensor(p: ParamDef, values: Float32Array, opts: LowerOptions, rank: number): { dims: number[]; data: Float32Array } {
  const fs = opts.featureShape;
  switch (p.shape) {
    case 'scalar':
      return { dims: [1], data: values };
    case 'channel': {
      const c = opts.layout === 'NCHW' || rank === 2 ? fs[0] : fs[fs.length - 1];
      // NCHW broadcasting needs [C,1,1]; channels-last [C]
      const dims = opts.layout === 'NCHW' && rank > 2 ? [c, ...Array(rank - 2).fill(1)] : [c];
      return { dims, data: values };
    }
    case 'element': {
      if (opts.layout === 'NHWC' || rank === 2) return { dims: [...fs], data: values };
      // TF.js stores [H, W, C]; NCHW wants [C, H, W]
      const c = fs[0];
      const hw = fs.slice(1).reduce((a, b) => a * b, 1);
      const out = new Float32Array(values.length);
      for (let k = 0; k < hw; k++) for (let ch = 0; ch < c; ch++) out[ch * hw + k] = values[k * c + ch];
      return { dims: [...fs], data: out };
    }
  }
}

function expectedParamSize(p: ParamDef, opts: LowerOptions, rank: number): number {
  if (p.shape === 'scalar') return 1;
  if (p.shape === 'channel') return opts.layout === 'NCHW' || rank === 2 ? opts.featureShape[0] : opts.featureShape[opts.featureShape.length - 1];
  return opts.featureShape.reduce((a, b) => a * b, 1);
}

/** Whether an expression's value has the full shape of x (else it must be broadcast to it). */
function hasInputShape(e: Expr): boolean {
  switch (e.kind) {
    case 'input':
      return true;
    case 'const':
      return false;
    case 'param':
      return false; // parameters have no batch dimension
    case 'call':
      if (e.op === 'lmean' || e.op === 'cmean') return false;
      return e.args.some((a) => hasInputShape(a));
  }
}

/**
 * s·(F·t) → F·(s·t) where F has x's shape and s, t do not (a scalar parameter, a reduced statistic): the
 * multiplication by s then runs on the small tensor instead of as one more full-size pass (VeLU's λ·A).
 */
function smallFactorsFirst(e: Expr): Expr {
  return rewrite(e, (n) => {
    if (n.kind !== 'call' || n.op !== 'mul') return n;
    for (const [sm, inner] of [[n.args[0], n.args[1]], [n.args[1], n.args[0]]]) {
      if (hasInputShape(sm) || inner.kind !== 'call' || inner.op !== 'mul') continue;
      const [a, b] = inner.args;
      if (hasInputShape(a) && !hasInputShape(b)) return call('mul', [a, call('mul', [sm, b])]);
      if (hasInputShape(b) && !hasInputShape(a)) return call('mul', [b, call('mul', [sm, a])]);
    }
    return n;
  });
}

/** Lower an activation definition to ONNX nodes reading `opts.input` and writing `opts.output`. */
export function lowerActivation(def: ActivationDef, opts: LowerOptions): OnnxFragment {
  const compiled = compileActivation(def);
  const rw = targetRewrites(opts.target, opts.cudaSafe);
  const lowered = onnxIr(compiled.ir, opts.opset, rw.cudaSafe, rw.cpu);
  // on the CPU target, scalar factors move onto the reduced tensors they multiply
  const ir = rw.cpu ? smallFactorsFirst(lowered) : lowered;
  const g = new GraphBuilder(opts.opset, { prefix: opts.prefix });
  const rank = opts.featureShape.length + 1;
  const ctx: LCtx = { g, opts, rank };

  const params: Record<string, string> = {};
  // parameters the lowered graph still uses (a macro such as zero(x) can drop one)
  const used = new Set(paramNames(ir));
  for (const name of compiled.paramNames.filter((n) => used.has(n))) {
    const p = def.params[name];
    const size = expectedParamSize(p, opts, rank);
    const given = opts.paramValues?.[name];
    const values = given ? Float32Array.from(given) : new Float32Array(size).fill(p.init);
    if (values.length !== size) {
      throw new ActbenchError('ONNX_PARAM_SIZE', `parameter '${name}' of '${def.name}' has ${values.length} values, expected ${size} (${p.shape})`, { field: `params.${name}` });
    }
    const t = paramTensor(p, values, opts, rank);
    params[name] = g.tensor(name, t.dims, t.data);
  }

  const byKey = new Map<string, string>();
  const keys = new Map<Expr, string>();
  const emit = (e: Expr): string => {
    const key = exprKey(e, keys);
    const hit = byKey.get(key);
    if (hit) return hit;
    let out: string;
    switch (e.kind) {
      case 'input':
        out = opts.input;
        break;
      case 'const':
        out = g.scalar(e.value);
        break;
      case 'param':
        out = params[e.name];
        break;
      case 'call': {
        const args = e.args.map(emit);
        const lower = nativeMacro(e.op, opts.opset, rw.cpu) ?? LOWER[e.op as PrimitiveOp];
        if (!lower) throw new Error(`internal: op '${e.op}' reached the ONNX renderer unexpanded`);
        out = lower(ctx, args, e.attrs);
        break;
      }
    }
    byKey.set(key, out);
    return out;
  };

  let y = emit(ir);
  // keep x's shape for functions that are constant (PANGAEA's 0 and 1) or reduced (lmean(x))
  if (!hasInputShape(ir)) y = g.node('Expand', [y, g.node('Shape', [opts.input])]);
  g.bindOutput(y, opts.output, `${g.prefix}Identity_out`);
  return g.fragment();
}

/** Lowest supported opset (≥ 7, onnxruntime's floor) at which the activation lowers to standard ops. */
export function minOpset(def: ActivationDef, featureShape: readonly number[] = [4, 4, 4], cudaSafe = true): number {
  for (let opset = SUPPORTED_OPSETS.min; opset <= SUPPORTED_OPSETS.max; opset++) {
    try {
      lowerActivation(def, { opset, layout: 'NCHW', featureShape, input: 'X', output: 'Y', cudaSafe });
      return opset;
    } catch (e) {
      if (!(e instanceof OpsetTooLow)) throw e;
    }
  }
  throw new Error(`activation '${def.name}' does not lower at any opset ≤ ${SUPPORTED_OPSETS.max}`);
}
