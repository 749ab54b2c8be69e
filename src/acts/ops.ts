/**
 * The closed operator set of the activation IR.
 *
 * Primitive ops have a rendering in every renderer (tfjs.ts, onnx.ts — TypeScript checks completeness).
 * Macro ops are defined once as an expression over primitives (`expand`); a renderer may still use a
 * native op for a macro (e.g. ONNX HardSwish, Softsign) — the parity suite proves both forms agree.
 * `cudaSafe` is a rewrite rule for ops onnxruntime's CUDA provider has no kernel for, applied on the
 * ONNX side only when the export asks for a GPU-clean graph (the default).
 */
import { POSITIVE, type Domain } from './validate.js';

export const PRIMITIVE_OPS = [
  // element-wise unary
  'neg', 'abs', 'recip', 'square', 'exp', 'expm1', 'erf', 'sinh', 'cosh', 'tanh', 'asinh', 'atan', 'asin',
  'sin', 'cos', 'sigmoid', 'softplus', 'relu', 'elu', 'selu', 'sqrt', 'log', 'sign',
  // element-wise with constant attributes
  'leaky_relu', 'clip',
  // element-wise binary / ternary
  'add', 'sub', 'mul', 'div', 'fdiv', 'pow', 'max', 'min', 'prelu', 'where_gt',
  // layer statistics
  'lmean', 'cmean', 'lnorm',
] as const;
export type PrimitiveOp = (typeof PRIMITIVE_OPS)[number];

export type OpGroup = 'unary' | 'binary' | 'layer' | 'activation';

export interface AttrDef {
  name: string;
  default?: number;
  /** values the attribute may take (default: any finite float32); checked where a call is parsed */
  domain?: Domain;
}

export interface OpDef {
  name: string;
  aliases?: readonly string[];
  /** number of tensor arguments */
  arity: number;
  /** constant attributes that follow the tensor arguments in call syntax, e.g. leaky_relu(x, 0.01) */
  attrs?: readonly AttrDef[];
  /** readable definition, x (and y, z) are the arguments */
  formula: string;
  group: OpGroup;
  /** PANGAEA search-space membership (27 unary, 7 binary) */
  pangaea?: boolean;
  /** input range where the op is real-valued, for tests and plots */
  domain?: readonly [number, number];
  /** macro definition over x (y, z for further arguments; attribute names for attributes) */
  expand?: string;
  /** rewrite used in GPU-clean ONNX graphs (the CUDA provider has no kernel for this op) */
  cudaSafe?: string;
  /**
   * exact rewrite used in ONNX graphs for the CPU provider, where it is faster than the op's own kernel
   * (onnxruntime's Softplus runs ~18× a Relu); the parity suite holds it to the same 1e-5
   */
  cpu?: string;
}

// Abramowitz & Stegun 9.8.1–9.8.4 (|x| ≤ 3.75 polynomial in (x/3.75)², larger |x| in 3.75/|x|).
// Branch inputs are clamped so the unselected branch stays finite: NaN-free gradients in TF.js.
const I0E = `a = abs(x); s = min(a, 3.75); u = square(s*0.26666666666666666); l = max(a, 3.75); w = fdiv(3.75, l);
  small = exp(-a)*(1 + u*(3.5156229 + u*(3.0899424 + u*(1.2067492 + u*(0.2659732 + u*(0.0360768 + u*0.0045813))))));
  large = fdiv(0.39894228 + w*(0.01328592 + w*(0.00225319 + w*(-0.00157565 + w*(0.00916281 + w*(-0.02057706
        + w*(0.02635537 + w*(-0.01647633 + w*0.00392377))))))), sqrt(l));
  where_gt(a - 3.75, large, small)`;
const I1E = `a = abs(x); s = min(a, 3.75); u = square(s*0.26666666666666666); l = max(a, 3.75); w = fdiv(3.75, l);
  small = s*exp(-a)*(0.5 + u*(0.87890594 + u*(0.51498869 + u*(0.15084934 + u*(0.02658733 + u*(0.00301532 + u*0.00032411))))));
  large = fdiv(0.39894228 + w*(-0.03988024 + w*(-0.00362018 + w*(0.00163801 + w*(-0.01031555 + w*(0.02282967
        + w*(-0.02895312 + w*(0.01787654 + w*-0.00420059))))))), sqrt(l));
  sign(x)*where_gt(a - 3.75, large, small)`;

// atan on [0, 1] as t·P(t²): our own weighted least-squares fit (max error 5.8e-9 in float64, 8e-8 in
// float32), with the reduction atan(a) = π/2 − atan(1/a) for a > 1. Built from ops CUDA has kernels for.
const ATAN_CUDA = `a = abs(x); t = where_gt(a - 1, fdiv(1, max(a, 1)), a); u = t*t;
  p = t*(0.9999998863830405 + u*(-0.333325970271297 + u*(0.19985906741347567 + u*(-0.14161228980485296
      + u*(0.10498945195663471 + u*(-0.07234855399395246 + u*(0.03978119926493805 + u*(-0.014401342317109073
      + u*0.002456720522043279))))))));
  sign(x)*where_gt(a - 1, 1.5707963267948966 - p, p)`;

const defs: OpDef[] = [
  // ---- PANGAEA's 27 unary operators ----
  { name: 'zero', arity: 1, formula: '0', group: 'unary', pangaea: true, expand: '0' },
  { name: 'one', arity: 1, formula: '1', group: 'unary', pangaea: true, expand: '1' },
  { name: 'identity', aliases: ['id'], arity: 1, formula: 'x', group: 'unary', pangaea: true, expand: 'x' },
  { name: 'neg', arity: 1, formula: '−x', group: 'unary', pangaea: true },
  { name: 'abs', arity: 1, formula: '|x|', group: 'unary', pangaea: true },
  { name: 'recip', aliases: ['reciprocal'], arity: 1, formula: 'x⁻¹ (0 where x = 0)', group: 'unary', pangaea: true },
  { name: 'square', arity: 1, formula: 'x²', group: 'unary', pangaea: true },
  { name: 'exp', arity: 1, formula: 'eˣ', group: 'unary', pangaea: true },
  { name: 'expm1', arity: 1, formula: 'eˣ − 1', group: 'unary', pangaea: true },
  { name: 'erf', arity: 1, formula: 'erf(x)', group: 'unary', pangaea: true },
  { name: 'erfc', arity: 1, formula: '1 − erf(x)', group: 'unary', pangaea: true, expand: '1 - erf(x)' },
  { name: 'sinh', arity: 1, formula: 'sinh(x)', group: 'unary', pangaea: true, cudaSafe: '(exp(x) - exp(-x))*0.5' },
  { name: 'cosh', arity: 1, formula: 'cosh(x)', group: 'unary', pangaea: true, cudaSafe: '(exp(x) + exp(-x))*0.5' },
  { name: 'tanh', arity: 1, formula: 'tanh(x)', group: 'unary', pangaea: true },
  {
    name: 'asinh', aliases: ['arcsinh'], arity: 1, formula: 'arcsinh(x)', group: 'unary', pangaea: true,
    cudaSafe: 'a = abs(x); sign(x)*log(a + sqrt(a*a + 1))',
  },
  { name: 'atan', aliases: ['arctan'], arity: 1, formula: 'arctan(x)', group: 'unary', pangaea: true, cudaSafe: ATAN_CUDA },
  { name: 'sigmoid', arity: 1, formula: 'σ(x) = 1/(1+e⁻ˣ)', group: 'unary', pangaea: true },
  {
    name: 'log_sigmoid', aliases: ['logsigmoid', 'ln_sigmoid'], arity: 1, formula: 'ln σ(x) = −softplus(−x)',
    group: 'unary', pangaea: true, expand: '-softplus(-x)',
    // ln σ(x) = min(x, 0) − ln(1 + e^−|x|) = min(x, 0) + ln σ(|x|): σ(|x|) ∈ [½, 1) never underflows, and on
    // onnxruntime's CPU provider these 5 ops run in ~0.75× the time of −softplus(−x)'s exact CPU form
    cpu: 'min(x, 0) + log(sigmoid(abs(x)))',
  },
  { name: 'bessel_i0e', aliases: ['i0e'], arity: 1, formula: 'e^−|x|·I₀(x)', group: 'unary', pangaea: true, expand: I0E },
  { name: 'bessel_i1e', aliases: ['i1e'], arity: 1, formula: 'e^−|x|·I₁(x)', group: 'unary', pangaea: true, expand: I1E },
  { name: 'relu', arity: 1, formula: 'max(x, 0)', group: 'unary', pangaea: true },
  { name: 'elu', arity: 1, formula: 'x if x > 0 else eˣ − 1', group: 'unary', pangaea: true },
  { name: 'selu', arity: 1, formula: 'λ·(x if x > 0 else α(eˣ − 1)), α≈1.6733, λ≈1.0507', group: 'unary', pangaea: true },
  { name: 'swish', aliases: ['silu'], arity: 1, formula: 'x·σ(x)', group: 'unary', pangaea: true, expand: 'x*sigmoid(x)' },
  {
    name: 'softplus', arity: 1, formula: 'ln(1 + eˣ)', group: 'unary', pangaea: true,
    // max(x, 0) + ln(1 + e^−|x|): e^−|x| ≤ 1, so nothing overflows; the missing log1p costs < 1e-7 absolute
    cpu: 'relu(x) + log(1 + exp(-abs(x)))',
  },
  { name: 'softsign', arity: 1, formula: 'x/(1 + |x|)', group: 'unary', pangaea: true, expand: 'fdiv(x, 1 + abs(x))' },
  {
    name: 'hard_sigmoid', arity: 1, formula: 'clip(0.2x + 0.5, 0, 1) (ONNX / Keras 2 / PANGAEA)', group: 'unary',
    pangaea: true, expand: 'clip(0.2*x + 0.5, 0, 1)',
  },
  // ---- further element-wise operators ----
  { name: 'sqrt', arity: 1, formula: '√x', group: 'unary', domain: [0, 1e4] },
  { name: 'log', aliases: ['ln'], arity: 1, formula: 'ln x', group: 'unary', domain: [1e-6, 1e4] },
  { name: 'sign', arity: 1, formula: 'sign(x)', group: 'unary' },
  {
    name: 'asin', aliases: ['arcsin'], arity: 1, formula: 'arcsin(x)', group: 'unary', domain: [-1, 1],
    cudaSafe: '2*atan(fdiv(x, 1 + sqrt((1 - x)*(1 + x))))',
  },
  { name: 'sin', arity: 1, formula: 'sin(x)', group: 'unary' },
  { name: 'cos', arity: 1, formula: 'cos(x)', group: 'unary' },
  {
    name: 'hard_sigmoid6', aliases: ['hard_sigmoid_torch'], arity: 1,
    formula: 'clip(x/6 + 0.5, 0, 1) (PyTorch / Keras 3)', group: 'unary',
    expand: 'clip(x*0.16666666666666666 + 0.5, 0, 1)',
  },
  { name: 'relu6', arity: 1, formula: 'min(max(x, 0), 6)', group: 'unary', expand: 'clip(x, 0, 6)' },
  {
    name: 'leaky_relu', aliases: ['leakyrelu'], arity: 1, attrs: [{ name: 'slope', default: 0.01 }],
    formula: 'x if x ≥ 0 else slope·x', group: 'unary',
  },
  {
    name: 'clip', arity: 1, attrs: [{ name: 'lo' }, { name: 'hi' }], formula: 'min(max(x, lo), hi)', group: 'unary',
  },
  { name: 'hard_silu', aliases: ['hard_swish', 'hardswish'], arity: 1, formula: 'x·clip(x/6 + 1/2, 0, 1)', group: 'unary', expand: 'x*hard_sigmoid6(x)' },
  {
    name: 'gelu', arity: 1, formula: '0.5·x·(1 + erf(x/√2))', group: 'unary',
    expand: '0.5*x*(1 + erf(x*0.7071067811865476))',
  },
  {
    name: 'gelu_tanh', aliases: ['gelu_new'], arity: 1, formula: '0.5·x·(1 + tanh(√(2/π)·(x + 0.044715x³)))',
    group: 'unary', expand: '0.5*x*(1 + tanh(0.7978845608028654*(x + 0.044715*x*x*x)))',
  },
  {
    name: 'mish', arity: 1, formula: 'x·tanh(softplus(x))', group: 'unary', expand: 'x*tanh(softplus(x))',
    // tanh(ln(1 + e)) = n/(n + 2) with n = e·(e + 2), e = eˣ; above x = 20 the ratio is 1 in float32, so
    // clamping there keeps n finite (e^40 ≈ 2e17) without changing a value
    cpu: 'e = exp(min(x, 20)); n = e*(e + 2); x*fdiv(n, n + 2)',
  },
  {
    name: 'elish', arity: 1, formula: 'x·σ(x) if x ≥ 0 else (eˣ − 1)·σ(x)', group: 'unary',
    // comparison-free so TF.js can differentiate it (activations.md §6.17)
    expand: 'sigmoid(x)*(relu(x) + expm1(min(x, 0)))',
  },
  // ---- PANGAEA's 7 binary operators ----
  { name: 'add', arity: 2, formula: 'x + y', group: 'binary', pangaea: true },
  { name: 'sub', arity: 2, formula: 'x − y', group: 'binary', pangaea: true },
  { name: 'mul', arity: 2, formula: 'x·y', group: 'binary', pangaea: true },
  { name: 'div', arity: 2, formula: 'x/y (0 where y = 0)', group: 'binary', pangaea: true },
  { name: 'pow', arity: 2, formula: 'xʸ for x > 0, else 0', group: 'binary', pangaea: true },
  { name: 'max', aliases: ['maximum'], arity: 2, formula: 'max(x, y)', group: 'binary', pangaea: true },
  { name: 'min', aliases: ['minimum'], arity: 2, formula: 'min(x, y)', group: 'binary', pangaea: true },
  // ---- further binary / ternary ----
  { name: 'fdiv', arity: 2, formula: 'x/y (IEEE: ±inf or NaN where y = 0)', group: 'binary' },
  { name: 'prelu', arity: 2, formula: 'x if x ≥ 0 else y·x', group: 'binary' },
  { name: 'where_gt', arity: 3, formula: 'y if x > 0 else z', group: 'binary' },
  // ---- layer statistics (per sample) ----
  { name: 'lmean', arity: 1, formula: 'mean of x over all non-batch axes of the sample', group: 'layer' },
  { name: 'cmean', arity: 1, formula: 'mean of x over the channel axis, per sample and position', group: 'layer' },
  {
    name: 'lnorm', arity: 1, attrs: [{ name: 'eps', default: 1e-5, domain: POSITIVE }],
    formula: '(x − μ)/√(v + eps), μ, v (unbiased) over all non-batch axes of the sample', group: 'layer',
  },
];

export const OPS: ReadonlyMap<string, OpDef> = new Map(defs.map((d) => [d.name, d]));

const aliasTable = new Map<string, string>();
for (const d of defs) {
  aliasTable.set(d.name, d.name);
  for (const a of d.aliases ?? []) aliasTable.set(a, d.name);
}

/** Resolve a name or alias to the op's canonical name. */
export function lookupOp(name: string): OpDef | undefined {
  const canonical = aliasTable.get(name.toLowerCase());
  return canonical ? OPS.get(canonical) : undefined;
}

export function opNamesAndAliases(): string[] {
  return [...aliasTable.keys()];
}

export function isPrimitive(op: string): op is PrimitiveOp {
  return (PRIMITIVE_OPS as readonly string[]).includes(op);
}

export const PANGAEA_UNARY = defs.filter((d) => d.pangaea && d.arity === 1).map((d) => d.name);
export const PANGAEA_BINARY = defs.filter((d) => d.pangaea && d.arity === 2).map((d) => d.name);

// the primitive list and the table must describe the same ops
for (const p of PRIMITIVE_OPS) {
  const d = OPS.get(p);
  if (!d || d.expand !== undefined) throw new Error(`op table: primitive '${p}' missing or defined as a macro`);
}
for (const d of defs) {
  if (d.expand === undefined && !isPrimitive(d.name)) throw new Error(`op table: '${d.name}' has no definition`);
}
