/**
 * PANGAEA's search space over the activation IR (Bingham & Miikkulainen, "Discovering Parametric Activation
 * Functions", §3): computation graphs of the 27 unary and 7 binary operators over x, the two initial forms
 * unary1(unary2(x)) and binary(unary1(x), unary2(x)), the four mutations — insert (with identity-preserving
 * second operands), remove (one-node graphs get a change instead; graphs of more than seven nodes always get a
 * remove), change, regenerate — and parameterisation: k ∈ {0,1,2,3} multiplicative per-channel parameters on
 * random edges, initialised to 1.
 */
import { resolveActivation, type ActivationDef } from '../acts/define.js';
import { PANGAEA_BINARY, PANGAEA_UNARY } from '../acts/ops.js';
import type { NumpyRandomState } from '../corrupt/rng.js';

/** A node of the graph. `param` multiplies the node's output edge (per-channel, init 1). */
export type Gene =
  | { kind: 'x'; param?: string }
  | { kind: 'const'; value: 0 | 1; param?: string }
  | { kind: 'unary'; op: string; child: Gene; param?: string }
  | { kind: 'binary'; op: string; a: Gene; b: Gene; param?: string };

export type Mutation = 'insert' | 'remove' | 'change' | 'regenerate';

const INFIX: Record<string, string> = { add: '+', sub: '-', mul: '*', div: '/', pow: '^' };

export function x(): Gene {
  return { kind: 'x' };
}
export function unary(op: string, child: Gene): Gene {
  return { kind: 'unary', op, child };
}
export function binary(op: string, a: Gene, b: Gene): Gene {
  return { kind: 'binary', op, a, b };
}

export function clone(g: Gene): Gene {
  return JSON.parse(JSON.stringify(g)) as Gene;
}

/** Operator nodes (x and the constant operands of inserted binaries are not operators). */
export function operatorNodes(g: Gene): Gene[] {
  const out: Gene[] = [];
  const walk = (n: Gene) => {
    if (n.kind === 'unary') {
      out.push(n);
      walk(n.child);
    } else if (n.kind === 'binary') {
      out.push(n);
      walk(n.a);
      walk(n.b);
    }
  };
  walk(g);
  return out;
}

/** Every edge, named by the node whose output it carries (the root's output edge included). */
export function edges(g: Gene): Gene[] {
  const out: Gene[] = [];
  const walk = (n: Gene) => {
    out.push(n);
    if (n.kind === 'unary') walk(n.child);
    else if (n.kind === 'binary') {
      walk(n.a);
      walk(n.b);
    }
  };
  walk(g);
  return out;
}

/** The expression-language form of a gene (parameters as Greek-free names p1, p2, …). */
export function toExpression(g: Gene): string {
  const wrap = (n: Gene, s: string) => (n.param ? `${n.param}*(${s})` : s);
  switch (g.kind) {
    case 'x':
      return wrap(g, 'x');
    case 'const':
      return wrap(g, `${g.value}`);
    case 'unary':
      return wrap(g, `${g.op}(${toExpression(g.child)})`);
    case 'binary':
      return wrap(g, INFIX[g.op] ? `(${toExpression(g.a)}) ${INFIX[g.op]} (${toExpression(g.b)})` : `${g.op}(${toExpression(g.a)}, ${toExpression(g.b)})`);
  }
}

export function paramsOf(g: Gene): string[] {
  return edges(g).map((e) => e.param).filter((p): p is string => !!p);
}

export function toDefinition(g: Gene): ActivationDef {
  const params = Object.fromEntries(paramsOf(g).map((p) => [p, { init: 1, shape: 'channel' as const }]));
  const def = resolveActivation(toExpression(g), { params });
  return { ...def, name: 'custom' };
}

const pick = <T>(rng: NumpyRandomState, xs: readonly T[]): T => xs[rng.randint(0, xs.length)];

/** The operators a search draws from: PANGAEA's, optionally extended with layer-level statistics. */
export interface SearchSpace {
  unary: readonly string[];
  binary: readonly string[];
}
export const PANGAEA_SPACE: SearchSpace = { unary: PANGAEA_UNARY, binary: PANGAEA_BINARY };
/** LayerAct-style extension (off by default): per-sample normalisation and layer/channel means as unary operators. */
export const LAYER_SPACE: SearchSpace = { unary: [...PANGAEA_UNARY, 'lnorm', 'lmean', 'cmean'], binary: PANGAEA_BINARY };

/** unary1(unary2(x)) or binary(unary1(x), unary2(x)), equally likely, operators uniform. */
export function randomInitial(rng: NumpyRandomState, space: SearchSpace = PANGAEA_SPACE): Gene {
  if (rng.random() < 0.5) return unary(pick(rng, space.unary), unary(pick(rng, space.unary), x()));
  return binary(pick(rng, space.binary), unary(pick(rng, space.unary), x()), unary(pick(rng, space.unary), x()));
}

/** Replace the node at `target` (by identity) with `replacement` in a tree. */
function replace(root: Gene, target: Gene, replacement: Gene): Gene {
  if (root === target) return replacement;
  if (root.kind === 'unary') root.child = replace(root.child, target, replacement);
  else if (root.kind === 'binary') {
    root.a = replace(root.a, target, replacement);
    root.b = replace(root.b, target, replacement);
  }
  return root;
}

/** The identity-preserving second operand of a binary inserted on an edge carrying `input`. */
export function neutralOperand(op: string, input: Gene): Gene {
  if (op === 'add' || op === 'sub') return { kind: 'const', value: 0 };
  if (op === 'mul' || op === 'div' || op === 'pow') return { kind: 'const', value: 1 };
  return clone(input); // max, min: a copy of x₁'s input
}

export function insert(g: Gene, rng: NumpyRandomState, space: SearchSpace = PANGAEA_SPACE): Gene {
  const root = clone(g);
  const edge = pick(rng, edges(root));
  const ops = [...space.unary, ...space.binary];
  const op = pick(rng, ops);
  const { param, ...carried } = edge;
  const input = clone(carried as Gene);
  const node: Gene = space.binary.includes(op) ? binary(op, input, neutralOperand(op, input)) : unary(op, input);
  if (param) node.param = param; // the edge keeps its parameter above the new node
  return replace(root, edge, node);
}

export function remove(g: Gene, rng: NumpyRandomState): Gene {
  const root = clone(g);
  const node = pick(rng, operatorNodes(root));
  let kept: Gene;
  if (node.kind === 'unary') kept = node.child;
  else if (node.kind === 'binary') kept = rng.random() < 0.5 ? node.a : node.b;
  else return root;
  if (node.param && !kept.param) kept.param = node.param;
  return replace(root, node, kept);
}

function otherOp(rng: NumpyRandomState, from: readonly string[], current: string): string {
  const choices = from.filter((o) => o !== current);
  return pick(rng, choices);
}

export function change(g: Gene, rng: NumpyRandomState, space: SearchSpace = PANGAEA_SPACE): Gene {
  const root = clone(g);
  const node = pick(rng, operatorNodes(root));
  if (node.kind === 'unary') node.op = otherOp(rng, space.unary, node.op);
  else if (node.kind === 'binary') node.op = otherOp(rng, space.binary, node.op);
  return root;
}

export function regenerate(g: Gene, rng: NumpyRandomState, space: SearchSpace = PANGAEA_SPACE): Gene {
  const root = clone(g);
  for (const node of operatorNodes(root)) {
    if (node.kind === 'unary') node.op = otherOp(rng, space.unary, node.op);
    else if (node.kind === 'binary') node.op = otherOp(rng, space.binary, node.op);
  }
  return root;
}

/** Which mutation: uniform, except remove → change on one-node graphs, and always remove above seven nodes. */
export function chooseMutation(nodes: number, rng: NumpyRandomState): Mutation {
  if (nodes > 7) return 'remove';
  const m = pick(rng, ['insert', 'remove', 'change', 'regenerate'] as const);
  return m === 'remove' && nodes <= 1 ? 'change' : m;
}

/** One mutation with the paper's special cases; returns the child and which mutation was applied. */
export function mutate(g: Gene, rng: NumpyRandomState, space: SearchSpace = PANGAEA_SPACE): { child: Gene; mutation: Mutation } {
  const mutation = chooseMutation(operatorNodes(g).length, rng);
  const base = stripParams(g);
  const child =
    mutation === 'insert' ? insert(base, rng, space) : mutation === 'remove' ? remove(base, rng) : mutation === 'change' ? change(base, rng, space) : regenerate(base, rng, space);
  return { child, mutation };
}

/** Parameters are re-drawn after every mutation (the paper parameterises each new child). */
export function stripParams(g: Gene): Gene {
  const root = clone(g);
  for (const e of edges(root)) delete e.param;
  return root;
}

/** k ∈ {0,1,2,3} uniform, then k distinct random edges get a multiplicative parameter (init 1). */
export function parameterize(g: Gene, rng: NumpyRandomState): Gene {
  const root = stripParams(g);
  const all = edges(root).filter((e) => e.kind !== 'const'); // a parameter on a constant 0/1 only rescales a constant
  const k = Math.min(rng.randint(0, 4), all.length);
  const chosen: Gene[] = [];
  while (chosen.length < k) {
    const e = pick(rng, all);
    if (!chosen.includes(e)) chosen.push(e);
  }
  chosen.forEach((e, i) => (e.param = ['alpha', 'beta', 'gamma'][i]));
  return root;
}
