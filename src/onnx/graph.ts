/**
 * The one ONNX graph builder (after onnx.helper): plain-data nodes and initializers with unique names,
 * each op checked against the opset table (opsets.ts). The activation lowering (acts/onnx.ts) and the
 * network export (export.ts) both build with it; writer.ts turns the result into protobuf.
 */
import { hasForm, requireOp } from './opsets.js';

export type OnnxAttr =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'string'; value: string };

export interface OnnxNodeSpec {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttr>;
}

export interface OnnxTensorSpec {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface OnnxFragment {
  nodes: OnnxNodeSpec[];
  initializers: OnnxTensorSpec[];
}

export const f = (value: number): OnnxAttr => ({ type: 'float', value });
export const i = (value: number): OnnxAttr => ({ type: 'int', value });
export const ints = (value: number[]): OnnxAttr => ({ type: 'ints', value });
export const s = (value: string): OnnxAttr => ({ type: 'string', value });

/** How a builder names a node and its output from a base (the op type, or a layer name) and a running count. */
export interface NodeNaming {
  node(base: string, n: number): string;
  output(base: string, n: number): string;
}

/** Activation fragments: `<prefix><Op>_<n>` nodes writing `<prefix>t<n>`. */
export const scopedNames = (prefix: string): NodeNaming => ({
  node: (base, n) => `${prefix}${base}_${n}`,
  output: (_base, n) => `${prefix}t${n}`,
});

/** Network export: nodes `<layer>#<n+1>` writing `<layer>:<n>` (the scheme exported models have always had). */
export const layerNames: NodeNaming = {
  node: (base, n) => `${base}#${n + 1}`,
  output: (base, n) => `${base}:${n}`,
};

export interface GraphBuilderOptions {
  /** prefix of every initializer name (and of node names under the default naming) */
  prefix?: string;
  /** default: scopedNames(prefix) */
  naming?: NodeNaming;
}

export class GraphBuilder {
  readonly nodes: OnnxNodeSpec[] = [];
  readonly initializers: OnnxTensorSpec[] = [];
  readonly prefix: string;
  private readonly naming: NodeNaming;
  private n = 0;
  /** shared constants by value → initializer name */
  private readonly consts = new Map<string, string>();

  constructor(
    readonly opset: number,
    o: GraphBuilderOptions = {},
  ) {
    this.prefix = o.prefix ?? '';
    this.naming = o.naming ?? scopedNames(this.prefix);
  }

  /** One node with a fresh output; `base` names it (default: the op type). Throws OpsetTooLow below the op's opset. */
  node(opType: string, inputs: string[], attributes: Record<string, OnnxAttr> = {}, base: string = opType): string {
    requireOp(opType, this.opset);
    const n = this.n++;
    const out = this.naming.output(base, n);
    this.nodes.push({ opType, name: this.naming.node(base, n), inputs, outputs: [out], attributes });
    return out;
  }

  /** An Identity writing a declared output name. */
  identity(input: string, output: string, name: string): void {
    requireOp('Identity', this.opset);
    this.nodes.push({ opType: 'Identity', name, inputs: [input], outputs: [output], attributes: {} });
  }

  /**
   * Make value `y` appear under the declared name `output`: rename its producer's output when nothing
   * else reads it, else an Identity named `identityName`.
   */
  bindOutput(y: string, output: string, identityName: string): void {
    const producer = this.nodes.find((nd) => nd.outputs[0] === y);
    if (producer && !this.nodes.some((nd) => nd.inputs.includes(y))) producer.outputs[0] = output;
    else this.identity(y, output, identityName);
  }

  /** A named initializer (the builder's prefix applied). */
  tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const full = `${this.prefix}${name}`;
    this.initializers.push({ name: full, dims, data });
    return full;
  }

  /** A float32 scalar initializer, shared by value (-0 apart from 0). */
  scalar(v: number): string {
    const key = Object.is(v, -0) ? '-0' : String(Math.fround(v));
    return this.shared(key, () => ({ dims: [], data: new Float32Array([v]) }));
  }

  /** An int64 vector initializer: named when `name` is given, else shared by value. */
  int64s(values: number[], name?: string): string {
    const data = (): BigInt64Array => BigInt64Array.from(values.map(BigInt));
    if (name !== undefined) return this.tensor(name, [values.length], data());
    return this.shared(`i64:${values.join(',')}`, () => ({ dims: [values.length], data: data() }));
  }

  private shared(key: string, make: () => { dims: number[]; data: Float32Array | BigInt64Array }): string {
    let name = this.consts.get(key);
    if (!name) {
      name = `${this.prefix}c${this.consts.size}`;
      this.consts.set(key, name);
      this.initializers.push({ name, ...make() });
    }
    return name;
  }

  /** Append a fragment built elsewhere (an activation lowered with its own prefix). */
  add(fr: OnnxFragment): void {
    this.nodes.push(...fr.nodes);
    this.initializers.push(...fr.initializers);
  }

  fragment(): OnnxFragment {
    return { nodes: this.nodes, initializers: this.initializers };
  }

  // node kinds whose form depends on the opset, or that repeat

  /** ReduceMean keeping dims: axes as an attribute before opset 18, as an int64 input from 18. */
  reduceMean(x: string, axes: number[]): string {
    return hasForm('reduceMeanAxesInput', this.opset)
      ? this.node('ReduceMean', [x, this.int64s(axes)], { keepdims: i(1) })
      : this.node('ReduceMean', [x], { axes: ints(axes), keepdims: i(1) });
  }

  /** Constant (zero) padding with the pads as a named int64 initializer ([begin…, end…] per axis). */
  zeroPad(x: string, pads: number[], padsName: string, base: string): string {
    return this.node('Pad', [x, this.int64s(pads, padsName)], { mode: s('constant') }, base);
  }
}
