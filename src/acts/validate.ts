/**
 * Validation at the activation boundary: the rules every activation passes before it is trained,
 * exported, shown or plotted. The parser (parse.ts) applies the character-level ones so errors point
 * into the expression; define.ts `resolveActivation`/`compileActivation` apply the rest. Nothing else
 * decides what is a valid activation.
 *
 * Three classes of error:
 * - constant domain: a constant outside its declared domain (`la_silu:alpha=-1`, `clip(x, 1, 0)`);
 * - numbers that cannot be represented: a constant that is not finite in float32 (what TF.js and ONNX
 *   compute in), or a function that is non-finite on the whole probe grid;
 * - size: expressions nested deeper or larger than LIMITS (the IR is walked recursively downstream).
 *
 * This module is a leaf (errors and IR types only) so the parser can use it without an import cycle.
 */
import { ActbenchError, closeMatches } from '../errors.js';
import type { Expr } from './ir.js';
import type { OpDef } from './ops.js';

/**
 * Size limits, far above any real activation (PANGAEA's graphs have < 10 nodes, VeLU expanded ~100)
 * and far below what the recursive IR walks and the JS stack survive (≈ 2 000 nested calls, cold).
 * depth: nesting of operations as written, counting chained `+`: a 300-term sum nests 300 deep.
 * loweredDepth / loweredNodes: the same after macros (bessel, atan's CUDA-safe form, …) are expanded
 * into the ops TF.js and ONNX compute; estimated before expanding.
 */
export const LIMITS = { depth: 256, nodes: 10_000, sourceChars: 100_000, loweredDepth: 1024, loweredNodes: 20_000 } as const;

/** The probe grid an activation must be finite somewhere on: [−12, 12], step 0.01, exact 0 included. */
export const PROBE_GRID = { lo: -12, hi: 12, points: 2401 } as const;

// ---------------------------------------------------------------------------------------------------
// constant domains

/** An interval of the reals; no bound means unbounded. Values are always checked after rounding to float32. */
export interface Domain {
  min?: number;
  max?: number;
  minOpen?: boolean;
  maxOpen?: boolean;
}
export const FINITE: Domain = Object.freeze({});
export const POSITIVE: Domain = Object.freeze({ min: 0, minOpen: true });

export function describeDomain(d: Domain): string {
  if (d.min === undefined && d.max === undefined) return 'finite';
  const lo = d.min === undefined ? '(−∞' : `${d.minOpen ? '(' : '['}${d.min}`;
  const hi = d.max === undefined ? '∞)' : `${d.max}${d.maxOpen ? ')' : ']'}`;
  return `${lo}, ${hi}`;
}

export const isFiniteFloat32 = (v: number): boolean => Number.isFinite(Math.fround(v));

/** Whether v, as the float32 the renderers compute with, lies in d (so alpha = 1e-50, which is 0 in float32, is not > 0). */
export function inDomain(v: number, d: Domain): boolean {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) return false;
  if (d.min !== undefined && (d.minOpen ? !(f > d.min) : !(f >= d.min))) return false;
  if (d.max !== undefined && (d.maxOpen ? !(f < d.max) : !(f <= d.max))) return false;
  return true;
}

/** Why a number is not a float32 constant, or undefined if it is one. */
export function nonFiniteReason(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN is not a number an activation can compute with';
  if (!Number.isFinite(v)) return `${v} is not finite`;
  if (!isFiniteFloat32(v)) return `${v} overflows float32 (largest finite float32 is ±3.4028234663852886e38), which TF.js and ONNX compute in`;
  return undefined;
}

/** A named constant of an activation (catalogue constant, `name:key=value` override, or definition constant). */
export function checkConstant(owner: string, name: string, value: number, domain: Domain = FINITE): void {
  const field = `constants.${name}`;
  if (typeof value !== 'number') {
    throw new ActbenchError('ACT_CONSTANT_NONFINITE', `constant '${name}' of '${owner}' must be a number, got ${JSON.stringify(value)}`, { field });
  }
  const why = nonFiniteReason(value);
  if (why) throw new ActbenchError('ACT_CONSTANT_NONFINITE', `constant '${name}' of '${owner}': ${why}`, { field });
  if (!inDomain(value, domain)) {
    // say so when float32 rounding is what takes the value out (alpha = 1e-50 is 0 in float32)
    const f = Math.fround(value);
    const inFloat64 = (domain.min === undefined || (domain.minOpen ? value > domain.min : value >= domain.min)) && (domain.max === undefined || (domain.maxOpen ? value < domain.max : value <= domain.max));
    const rounded = inFloat64 ? ` (${f} in float32)` : '';
    throw new ActbenchError('ACT_CONSTANT_DOMAIN', `constant '${name}' of '${owner}' must be in ${describeDomain(domain)}, got ${value}${rounded}`, { field });
  }
}

/** Overrides of a catalogue entry's constants: known names only, each in its declared domain. */
export function checkConstants(owner: string, constants: Readonly<Record<string, number>>, domains: Readonly<Record<string, Domain>>): void {
  for (const [k, v] of Object.entries(constants)) {
    if (!(k in domains)) {
      const names = Object.keys(domains);
      const close = closeMatches(k, names);
      throw new ActbenchError(
        'ACT_UNKNOWN_CONSTANT',
        `activation '${owner}' has no constant '${k}'${close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(', ')}?)` : ''}; ${names.length ? `its constants are ${names.join(', ')}` : 'it has no constants'}`,
        { field: `constants.${k}` },
      );
    }
    checkConstant(owner, k, v, domains[k]);
  }
}

/** Relations between an operator's attributes that a per-attribute domain cannot say. */
const ATTR_RELATIONS: Readonly<Record<string, (attrs: readonly number[]) => string | undefined>> = {
  clip: ([lo, hi]) => (Math.fround(lo) > Math.fround(hi) ? `clip(x, lo, hi) needs lo ≤ hi, got lo = ${lo}, hi = ${hi}` : undefined),
};

export interface AttrIssue {
  code: 'ACT_CONSTANT_NONFINITE' | 'ACT_ARG_DOMAIN';
  message: string;
  /** index of the offending attribute, or undefined when the call as a whole is at fault */
  index?: number;
}

/** The first problem with an operator call's constant attributes (leaky_relu's slope, clip's bounds, lnorm's eps). */
export function attrIssue(op: OpDef, attrs: readonly number[]): AttrIssue | undefined {
  const defs = op.attrs ?? [];
  for (let k = 0; k < defs.length; k++) {
    const v = attrs[k];
    const why = nonFiniteReason(v);
    if (why) return { code: 'ACT_CONSTANT_NONFINITE', message: `argument '${defs[k].name}' of ${op.name}: ${why}`, index: k };
    const d = defs[k].domain ?? FINITE;
    if (!inDomain(v, d)) return { code: 'ACT_ARG_DOMAIN', message: `argument '${defs[k].name}' of ${op.name} must be in ${describeDomain(d)}, got ${v}`, index: k };
  }
  const rel = ATTR_RELATIONS[op.name]?.(attrs);
  return rel ? { code: 'ACT_ARG_DOMAIN', message: rel } : undefined;
}

// ---------------------------------------------------------------------------------------------------
// size and depth, computed without recursion

/** Distinct nodes of a DAG, children before parents, without recursion (safe on any depth). */
export function postOrder(root: Expr): Expr[] {
  const out: Expr[] = [];
  const seen = new Set<Expr>([root]);
  const stack: { e: Expr; next: number }[] = [{ e: root, next: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const args = top.e.kind === 'call' ? top.e.args : [];
    if (top.next < args.length) {
      const child = args[top.next++];
      if (!seen.has(child)) {
        seen.add(child);
        stack.push({ e: child, next: 0 });
      }
    } else {
      out.push(top.e);
      stack.pop();
    }
  }
  return out;
}

export interface OpCost {
  /** nesting the op adds once expanded into primitives (1 for a primitive) */
  depth: number;
  /** distinct nodes it expands into */
  nodes: number;
}

/** Depth and node count of the IR once its macros are expanded, estimated from per-op costs. */
export function loweredCost(ir: Expr, cost: (op: string) => OpCost): { depth: number; nodes: number } {
  const depth = new Map<Expr, number>();
  let nodes = 0;
  for (const n of postOrder(ir)) {
    if (n.kind !== 'call') {
      depth.set(n, 1);
      nodes += 1;
      continue;
    }
    const c = cost(n.op);
    depth.set(n, c.depth + Math.max(0, ...n.args.map((a) => depth.get(a) ?? 1)));
    nodes += c.nodes;
  }
  return { depth: depth.get(ir) ?? 1, nodes };
}

export function checkLoweredCost(owner: string, ir: Expr, cost: (op: string) => OpCost): void {
  const c = loweredCost(ir, cost);
  if (c.depth > LIMITS.loweredDepth) {
    throw new ActbenchError('ACT_TOO_DEEP', `activation '${owner}' nests ${c.depth} operations deep once its operators are expanded into the ops TF.js and ONNX compute (limit ${LIMITS.loweredDepth})`, { field: 'expression' });
  }
  if (c.nodes > LIMITS.loweredNodes) {
    throw new ActbenchError('ACT_TOO_LARGE', `activation '${owner}' expands into about ${c.nodes} operations (limit ${LIMITS.loweredNodes})`, { field: 'expression' });
  }
}

/** Constants produced by folding (exp(100), log(0)) must be float32-finite like literals. */
export function checkFoldedConstants(owner: string, ir: Expr): void {
  for (const n of postOrder(ir)) {
    if (n.kind === 'const') {
      const why = nonFiniteReason(n.value);
      if (why) throw new ActbenchError('ACT_CONSTANT_NONFINITE', `activation '${owner}' has a constant sub-expression whose value cannot be represented: ${why}`, { field: 'expression' });
    }
    if (n.kind === 'call') {
      for (const a of n.attrs) {
        const why = nonFiniteReason(a);
        if (why) throw new ActbenchError('ACT_CONSTANT_NONFINITE', `activation '${owner}': an argument of ${n.op} cannot be represented: ${why}`, { field: 'expression' });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// the probe: is the function representable anywhere?

let grid: Float64Array | undefined;
/** The probe inputs as float32 values (shared; never written to). */
export function probeGrid(): Float64Array {
  if (!grid) {
    const { lo, hi, points } = PROBE_GRID;
    grid = new Float64Array(points);
    for (let k = 0; k < points; k++) grid[k] = Math.fround(lo + ((hi - lo) * k) / (points - 1));
  }
  return grid;
}

// A&S 7.1.26 (|error| ≤ 1.5e-7): only finiteness depends on it here.
function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x < 0 ? -y : y;
}
const relu = (x: number) => (x < 0 ? 0 : x);
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

type Unary = (x: number, attrs: readonly number[]) => number;
const UNARY: Readonly<Record<string, Unary>> = {
  neg: (x) => -x,
  abs: Math.abs,
  recip: (x) => (x !== 0 ? 1 / x : 0),
  square: (x) => x * x,
  exp: Math.exp,
  expm1: Math.expm1,
  erf,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  atan: Math.atan,
  asin: Math.asin,
  sin: Math.sin,
  cos: Math.cos,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  softplus: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  relu,
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  sqrt: Math.sqrt,
  log: Math.log,
  sign: Math.sign,
  leaky_relu: (x, [slope]) => (x < 0 ? slope * x : x),
  clip: (x, [lo, hi]) => Math.min(Math.max(x, lo), hi),
};
type Nary = (a: number, b: number, c: number) => number;
const NARY: Readonly<Record<string, Nary>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  // TF.js's form: a·(1/b, or 0 where b = 0)
  div: (a, b) => a * (b !== 0 ? 1 / b : 0),
  fdiv: (a, b) => a / b,
  pow: (a, b) => (Number.isNaN(a) ? NaN : a > 0 ? Math.pow(a, b) : 0),
  max: Math.max,
  min: Math.min,
  prelu: (x, a) => relu(x) + a * -relu(-x),
  where_gt: (c, a, b) => (c > 0 ? a : b),
};

/**
 * The function on the probe grid, float32-rounded after every op as TF.js and ONNX store it.
 * `ir` must be expanded to primitives; the grid is one sample of P features, so layer statistics
 * reduce over the whole grid (as `actbench acts plot` does). Parameters take their initial values.
 */
export function evaluateOnProbe(ir: Expr, paramInit: Readonly<Record<string, number>>, xs: Float64Array = probeGrid()): Float64Array {
  const P = xs.length;
  const order = postOrder(ir);
  const uses = new Map<Expr, number>();
  for (const n of order) if (n.kind === 'call') for (const a of n.args) uses.set(a, (uses.get(a) ?? 0) + 1);
  const values = new Map<Expr, Float64Array>();
  const filled = (v: number) => new Float64Array(P).fill(Math.fround(v));
  for (const n of order) {
    let out: Float64Array;
    switch (n.kind) {
      case 'input':
        out = xs;
        break;
      case 'const':
        out = filled(n.value);
        break;
      case 'param':
        out = filled(paramInit[n.name] ?? 1);
        break;
      case 'call': {
        const args = n.args.map((a) => values.get(a) as Float64Array);
        out = new Float64Array(P);
        const u = UNARY[n.op];
        const b = NARY[n.op];
        const [a0, a1 = a0, a2 = a0] = args;
        const attrs = n.attrs;
        if (u) for (let k = 0; k < P; k++) out[k] = Math.fround(u(a0[k], attrs));
        else if (b) for (let k = 0; k < P; k++) out[k] = Math.fround(b(a0[k], a1[k], a2[k]));
        else if (n.op === 'lmean' || n.op === 'cmean' || n.op === 'lnorm') {
          const a = args[0];
          let s = 0;
          for (let k = 0; k < P; k++) s += a[k];
          const mean = s / P;
          if (n.op === 'lnorm') {
            let v = 0;
            for (let k = 0; k < P; k++) v += (a[k] - mean) ** 2;
            const denom = Math.sqrt(v / Math.max(P - 1, 1) + n.attrs[0]);
            for (let k = 0; k < P; k++) out[k] = Math.fround((a[k] - mean) / denom);
          } else out.fill(Math.fround(mean));
        } else throw new Error(`internal: op '${n.op}' reached the probe unexpanded`);
        break;
      }
    }
    values.set(n, out);
    // free operands no later node reads
    if (n.kind === 'call') {
      for (const a of n.args) {
        const left = (uses.get(a) ?? 0) - 1;
        uses.set(a, left);
        if (left === 0) values.delete(a);
      }
    }
  }
  return values.get(ir) as Float64Array;
}

export interface ProbeReport {
  /** which lowering was probed: the TF.js graph, or the ONNX one with CUDA-safe rewrites */
  form: 'tfjs' | 'onnx-cuda-safe' | 'onnx-cpu';
  range: [number, number];
  points: number;
  /** probe points where f is ±inf or NaN (allowed: log(x) is NaN for x < 0) */
  nonFinite: number;
}

export function probeReport(form: ProbeReport['form'], ys: Float64Array): ProbeReport {
  let nonFinite = 0;
  for (const y of ys) if (!Number.isFinite(y)) nonFinite++;
  return { form, range: [PROBE_GRID.lo, PROBE_GRID.hi], points: ys.length, nonFinite };
}

/**
 * The rule: refuse a function that is non-finite on every probe point — it cannot produce a single
 * usable number, and training or parity on it would report nonsense. Partial non-finiteness is allowed
 * (and reported by `acts show`): the search and users rely on functions such as log(x).
 */
export function checkRepresentable(owner: string, reports: readonly ProbeReport[]): void {
  for (const r of reports) {
    if (r.nonFinite === r.points) {
      throw new ActbenchError(
        'ACT_NONFINITE_EVERYWHERE',
        `activation '${owner}' is ±inf or NaN at every one of ${r.points} probe points in [${r.range[0]}, ${r.range[1]}] (${r.form === 'tfjs' ? 'TF.js graph' : 'ONNX graph'}, parameters at their initial values): it cannot be trained or exported`,
        { field: 'expression' },
      );
    }
  }
}
