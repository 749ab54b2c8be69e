/**
 * The activation IR: a small expression DAG over a closed set of operators (see ops.ts).
 * Producers (catalogue, parser, search) build it; renderers (tfjs.ts, onnx.ts) print it.
 * Nodes are immutable plain objects; sharing a node object means sharing a sub-expression.
 */

/** How a trainable parameter is shared: one per layer, one per feature channel, or one per element. */
export type ParamShape = 'scalar' | 'channel' | 'element';

export interface ParamDef {
  /** Initial value (PANGAEA: 1; PReLU: 0.25; VeLU λ: 1). */
  init: number;
  shape: ParamShape;
}

export type Expr =
  | { readonly kind: 'input' }
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'call'; readonly op: string; readonly args: readonly Expr[]; readonly attrs: readonly number[] };

export type CallExpr = Extract<Expr, { kind: 'call' }>;

export const input: Expr = Object.freeze({ kind: 'input' });
export const constant = (value: number): Expr => ({ kind: 'const', value });
export const param = (name: string): Expr => ({ kind: 'param', name });
export const call = (op: string, args: readonly Expr[], attrs: readonly number[] = []): Expr => ({
  kind: 'call',
  op,
  args,
  attrs,
});

// Keys longer than this are replaced by a reference into one process-wide table, so a key's length stays
// bounded: written out, a DAG with shared nodes has exponentially long keys (a = x*x; b = a*a; … or
// atan's CUDA-safe form nested four deep) and would exhaust V8's maximum string length.
const MAX_INLINE_KEY = 256;
const interned = new Map<string, string>();

/**
 * A structural key: equal keys mean equal functions of x (used for common-subexpression sharing).
 * Small expressions read as written (`add(1,mul(2,x))`); larger sub-expressions appear as `#n`.
 */
export function exprKey(e: Expr, memo: Map<Expr, string> = new Map()): string {
  const hit = memo.get(e);
  if (hit !== undefined) return hit;
  let key: string;
  switch (e.kind) {
    case 'input':
      key = 'x';
      break;
    case 'const':
      key = Object.is(e.value, -0) ? '-0' : String(e.value);
      break;
    case 'param':
      key = `$${e.name}`;
      break;
    case 'call':
      key = `${e.op}(${e.args.map((a) => exprKey(a, memo)).join(',')}${e.attrs.length ? `;${e.attrs.join(',')}` : ''})`;
      break;
  }
  if (key.length > MAX_INLINE_KEY) {
    let ref = interned.get(key);
    if (ref === undefined) {
      ref = `#${interned.size}`;
      interned.set(key, ref);
    }
    key = ref;
  }
  memo.set(e, key);
  return key;
}

/** Post-order walk over the distinct nodes of a DAG. */
export function walk(e: Expr, visit: (node: Expr) => void, seen: Set<Expr> = new Set()): void {
  if (seen.has(e)) return;
  seen.add(e);
  if (e.kind === 'call') for (const a of e.args) walk(a, visit, seen);
  visit(e);
}

export function paramNames(e: Expr): string[] {
  const names = new Set<string>();
  walk(e, (n) => {
    if (n.kind === 'param') names.add(n.name);
  });
  return [...names].sort();
}

export function dependsOnInput(e: Expr): boolean {
  let found = false;
  walk(e, (n) => {
    if (n.kind === 'input' || n.kind === 'param') found = true;
  });
  return found;
}

export function opsUsed(e: Expr): string[] {
  const ops = new Set<string>();
  walk(e, (n) => {
    if (n.kind === 'call') ops.add(n.op);
  });
  return [...ops].sort();
}

/**
 * Rebuild a DAG bottom-up, giving `rule` the chance to replace each node after its children were rebuilt.
 * Sharing is preserved: each distinct node is rebuilt once.
 */
export function rewrite(e: Expr, rule: (node: Expr) => Expr, memo: Map<Expr, Expr> = new Map()): Expr {
  const hit = memo.get(e);
  if (hit) return hit;
  let node = e;
  if (e.kind === 'call') {
    const args = e.args.map((a) => rewrite(a, rule, memo));
    if (args.some((a, i) => a !== e.args[i])) node = call(e.op, args, e.attrs);
  }
  const out = rule(node);
  memo.set(e, out);
  return out;
}

/** Replace the input (and optionally named parameters) of a template expression. */
export function substitute(e: Expr, x: Expr, named: Record<string, Expr> = {}): Expr {
  return rewrite(e, (n) => {
    if (n.kind === 'input') return x;
    if (n.kind === 'param' && named[n.name]) return named[n.name];
    return n;
  });
}
