/**
 * Rewrite rules on the IR, applied before rendering (tinygrad-style: renderers only print what is left).
 */
import { call, constant, exprKey, rewrite, type CallExpr, type Expr } from './ir.js';
import { OPS } from './ops.js';
import { parseExpression } from './parse.js';

const ARG_NAMES = ['x', 'y', 'z'];

/** Instantiate an op's macro (its `expand` or `cudaSafe` definition) on the call's arguments. */
export function expandCall(node: CallExpr, which: 'expand' | 'cudaSafe' | 'cpu' = 'expand'): Expr {
  const def = OPS.get(node.op);
  const src = def?.[which];
  if (!def || src === undefined) throw new Error(`op '${node.op}' has no ${which} definition`);
  const bindings: Record<string, Expr> = {};
  node.args.forEach((a, k) => (bindings[ARG_NAMES[k]] = a));
  const constants: Record<string, number> = {};
  (def.attrs ?? []).forEach((a, k) => (constants[a.name] = node.attrs[k]));
  return parseExpression(src, { bindings, constants, allowParams: false }).expr;
}

const isConst = (e: Expr, v?: number): e is Extract<Expr, { kind: 'const' }> =>
  e.kind === 'const' && (v === undefined || e.value === v);

/** Float64 evaluation of ops on constants (only what folding needs). */
const FOLD: Partial<Record<string, (a: number, b: number) => number>> = {
  neg: (a) => -a,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => (b === 0 ? 0 : a / b),
  fdiv: (a, b) => a / b,
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
  abs: (a) => Math.abs(a),
  square: (a) => a * a,
  sqrt: (a) => Math.sqrt(a),
  exp: (a) => Math.exp(a),
  log: (a) => Math.log(a),
};

/**
 * Algebraic clean-up: fold constants and drop neutral elements, so graphs derived from templates
 * (e.g. PANGAEA's parameterised edges or the catalogue's macros) carry no x·1 or x+0.
 */
export function simplify(e: Expr): Expr {
  return rewrite(e, (n) => {
    if (n.kind !== 'call') return n;
    const [a, b] = n.args;
    const fold = FOLD[n.op];
    if (fold && n.args.every((x) => x.kind === 'const')) {
      const v = (x: Expr | undefined) => (x && x.kind === 'const' ? x.value : 0);
      return constant(fold(v(a), v(b)));
    }
    switch (n.op) {
      case 'mul':
        if (isConst(a, 1)) return b;
        if (isConst(b, 1)) return a;
        if (isConst(a, -1)) return call('neg', [b]);
        if (isConst(b, -1)) return call('neg', [a]);
        return n;
      case 'add':
        if (isConst(a, 0)) return b;
        if (isConst(b, 0)) return a;
        return n;
      case 'sub':
        if (isConst(b, 0)) return a;
        if (isConst(a, 0)) return call('neg', [b]);
        return n;
      case 'div':
      case 'fdiv':
        // division by a non-zero constant is a multiplication: no zero guard needed
        if (b.kind === 'const' && b.value !== 0) return b.value === 1 ? a : call('mul', [a, constant(1 / b.value)]);
        return n;
      case 'neg':
        if (a.kind === 'call' && a.op === 'neg') return a.args[0];
        return n;
      default:
        return n;
    }
  });
}

/** x·hard_sigmoid6(x) → hard_silu(x), so a renderer with a fused HardSwish can print one op. */
export function fuseHardSwish(e: Expr): Expr {
  const keys = new Map<Expr, string>();
  return rewrite(e, (n) => {
    if (n.kind !== 'call' || n.op !== 'mul') return n;
    const [a, b] = n.args;
    for (const [gate, other] of [[b, a], [a, b]]) {
      if (gate.kind === 'call' && gate.op === 'hard_sigmoid6' && exprKey(gate.args[0], keys) === exprKey(other, keys)) {
        return call('hard_silu', [other]);
      }
    }
    return n;
  });
}

/**
 * Expand macros a renderer has no native form for; `native(op)` says which macro ops the renderer prints
 * itself, `cudaSafe` additionally rewrites ops the CUDA provider lacks, `cpu` ops whose exact standard-op
 * form is faster on the CPU provider. Expansion is recursive: a macro body may use other macros.
 */
export function lowerMacros(e: Expr, native: (op: string) => boolean, cudaSafe = false, cpu = false): Expr {
  const memo = new Map<Expr, Expr>();
  const go = (expr: Expr): Expr =>
    rewrite(
      expr,
      (n) => {
        if (n.kind !== 'call') return n;
        const def = OPS.get(n.op);
        if (!def) throw new Error(`unknown op '${n.op}' in IR`);
        if (cpu && def.cpu !== undefined) return go(expandCall(n, 'cpu'));
        if (cudaSafe && def.cudaSafe !== undefined) return go(expandCall(n, 'cudaSafe'));
        if (def.expand !== undefined && !native(n.op)) return go(expandCall(n, 'expand'));
        return n;
      },
      memo,
    );
  const out = simplify(go(e));
  return cpu ? dropIdempotent(out) : out;
}

/**
 * Exact identities that save a whole pass over the tensor in a CPU graph: ELU and ReLU are the identity on
 * x ≥ 0, so elu(relu(x)) = relu(relu(x)) = relu(x) (PANGAEA's p5 has α·ELU(ReLU(βx))).
 */
export function dropIdempotent(e: Expr): Expr {
  return rewrite(e, (n) => (n.kind === 'call' && (n.op === 'elu' || n.op === 'relu') && n.args[0]?.kind === 'call' && n.args[0].op === 'relu' ? n.args[0] : n));
}
