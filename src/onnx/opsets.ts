/**
 * The one home of opset knowledge: the supported range and default, the IR version each opset pairs with,
 * the first opset of every op actbench emits and the opsets at which an op's form changes. Every
 * `opset >= N` choice in the emitters (acts/onnx.ts, export.ts, graph.ts) reads from here.
 */
import { ActbenchError } from '../errors.js';

/**
 * 7 is onnxruntime's floor, 21 the newest opset the lowering is tested at, 17 the default (what Debian's
 * onnx.checker validates). Network export needs ≥ 13 (the opset its parity suite is run from).
 */
export const SUPPORTED_OPSETS = { min: 7, max: 21, default: 17, network: 13 } as const;

/** The newest opset Debian's python3-onnx checker (onnx 1.12–1.14: IR ≤ 8) validates; newer exports skip it. */
export const CHECKER_MAX_OPSET = 17;

/** ONNX's release pairing (onnx/helper.py VERSION_TABLE): [first opset, IR version]. */
const IR_VERSIONS: readonly (readonly [number, number])[] = [[9, 4], [10, 5], [11, 6], [12, 7], [15, 8], [19, 9], [21, 10], [23, 11]];

/** The IR version a model of this opset declares; IR ≥ 4 so initializers need not be graph inputs. */
export function irVersionFor(opset: number): number {
  let ir = 4;
  for (const [o, v] of IR_VERSIONS) if (opset >= o) ir = v;
  return ir;
}

/** First opset in which each op actbench emits exists with the semantics (and input form) it relies on. */
export const ONNX_OP_SINCE: Readonly<Record<string, number>> = {
  Identity: 1, Shape: 1, Softplus: 1, Softsign: 1, ReduceMean: 1,
  Transpose: 1, Conv: 1, Flatten: 1, GlobalAveragePool: 1, MaxPool: 1,
  Abs: 6, Neg: 6, Exp: 6, Log: 6, Sqrt: 6, Reciprocal: 6, Relu: 6, Sigmoid: 6, Tanh: 6, Elu: 6, Selu: 6,
  LeakyRelu: 6, HardSigmoid: 6,
  // Cast with an integer `to`
  Cast: 6,
  // Reshape's shape as an input
  Reshape: 5,
  // numpy-style broadcasting for the binary ops (and Gemm's C)
  Add: 7, Sub: 7, Mul: 7, Div: 7, Pow: 7, PRelu: 7, Greater: 7, Atan: 7, Asin: 7, Sin: 7, Cos: 7, Gemm: 7, AveragePool: 7,
  Max: 8, Min: 8, Expand: 8,
  Erf: 9, Sign: 9, Sinh: 9, Cosh: 9, Asinh: 9, Where: 9,
  // Slice's starts/ends/axes/steps as inputs
  Slice: 10,
  // Equal on float tensors, Clip with min/max inputs, Pad with pads as an input
  Equal: 11, Clip: 11, Pad: 11,
  HardSwish: 14, LayerNormalization: 17, Mish: 18, Gelu: 20,
};

/** Opsets from which an op that exists earlier takes another form; the emitters pick the form here. */
export const OP_FORM_SINCE = {
  /** ReduceMean's axes: an attribute before 18, an int64 input from 18 */
  reduceMeanAxesInput: 18,
} as const;

export class OpsetTooLow extends ActbenchError {
  constructor(
    readonly opType: string,
    readonly since: number,
    opset: number,
  ) {
    super('ONNX_OPSET_TOO_LOW', `${opType} needs opset ≥ ${since}, the export asked for opset ${opset}`, { field: 'opset' });
  }
}

function opSince(opType: string): number {
  const since = ONNX_OP_SINCE[opType];
  if (since === undefined) throw new Error(`internal: no opset entry for ${opType}`);
  return since;
}

/** Whether `opType` exists at `opset` (with the semantics actbench relies on). */
export const hasOp = (opType: string, opset: number): boolean => opset >= opSince(opType);

/** OpsetTooLow unless `opType` exists at `opset`. */
export function requireOp(opType: string, opset: number): void {
  if (!hasOp(opType, opset)) throw new OpsetTooLow(opType, opSince(opType), opset);
}

/** Whether `opset` has the newer form of an op. */
export const hasForm = (form: keyof typeof OP_FORM_SINCE, opset: number): boolean => opset >= OP_FORM_SINCE[form];

/**
 * An opset from a flag, an API call or a config: an integer in the supported range (raised to
 * `min` where a caller needs newer ops), else ONNX_BAD_OPSET naming the range.
 */
export function checkOpset(opset: unknown, o: { min?: number; what?: string } = {}): number {
  const min = Math.max(o.min ?? SUPPORTED_OPSETS.min, SUPPORTED_OPSETS.min);
  const n = typeof opset === 'string' && /^\s*\d+\s*$/.test(opset) ? Number(opset) : opset;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > SUPPORTED_OPSETS.max) {
    const got = typeof opset === 'string' ? opset.trim() || `''` : String(opset);
    throw new ActbenchError('ONNX_BAD_OPSET', `${o.what ?? 'opset'} must be an integer from ${min} to ${SUPPORTED_OPSETS.max}, got ${got}`, { field: 'opset' });
  }
  return n;
}
