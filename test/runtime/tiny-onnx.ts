/** Tiny real ONNX classifiers built with src/onnx/writer.ts: a linear layer over the flattened image. */
import { encodeModel, makeGraph, makeModel, makeValueInfo } from '../../src/onnx/writer.js';
import type { OnnxNodeSpec, OnnxTensorSpec } from '../../src/acts/onnx.js';

export interface TinyModel {
  c: number;
  h: number;
  w: number;
  classes: number;
  /** weight of pixel p for class k (default: a fixed pattern) */
  weight?: (p: number, k: number) => number;
  /** declared input dims (default [N, C, H, W], or [N, H, W, C] for uint8) */
  inputDims?: (number | string)[];
  /** declared output dims (default [N, classes]) */
  outputDims?: (number | string)[];
  uint8?: boolean;
  /** reshape the logits: 'nk11' → [N, K, 1, 1]; 'flat' → rank 1 */
  reshape?: 'nk11' | 'flat';
  extraInput?: boolean;
  extraOutput?: boolean;
}

export function tinyModel(o: TinyModel): Uint8Array {
  const px = o.c * o.h * o.w;
  const nodes: OnnxNodeSpec[] = [];
  const inits: OnnxTensorSpec[] = [
    { name: 'W', dims: [px, o.classes], data: Float32Array.from({ length: px * o.classes }, (_, i) => (o.weight ?? ((p, k) => Math.sin(p * 0.37 + k * 1.3)))(Math.floor(i / o.classes), i % o.classes)) },
  ];
  let x = 'X';
  if (o.uint8) {
    nodes.push({ opType: 'Cast', name: 'cast', inputs: ['X'], outputs: ['Xf'], attributes: { to: { type: 'int', value: 1 } } });
    x = 'Xf';
  }
  nodes.push({ opType: 'Flatten', name: 'flat', inputs: [x], outputs: ['F'], attributes: { axis: { type: 'int', value: 1 } } });
  const logits = o.reshape ? 'L' : 'Y';
  nodes.push({ opType: 'MatMul', name: 'mm', inputs: ['F', 'W'], outputs: [logits], attributes: {} });
  if (o.reshape) {
    inits.push({ name: 'S', dims: [o.reshape === 'nk11' ? 4 : 1], data: BigInt64Array.from(o.reshape === 'nk11' ? [0n, BigInt(o.classes), 1n, 1n] : [-1n]) });
    nodes.push({ opType: 'Reshape', name: 'rs', inputs: ['L', 'S'], outputs: ['Y'], attributes: {} });
  }
  const inDims = o.inputDims ?? (o.uint8 ? ['N', o.h, o.w, o.c] : ['N', o.c, o.h, o.w]);
  const outDims = o.outputDims ?? (o.reshape === 'nk11' ? ['N', o.classes, 1, 1] : o.reshape === 'flat' ? ['M'] : ['N', o.classes]);
  const graph = makeGraph({
    name: 'tiny',
    fragments: [{ nodes, initializers: inits }],
    inputs: [makeValueInfo('X', inDims, o.uint8 ? 'uint8' : 'float32'), ...(o.extraInput ? [makeValueInfo('Z', ['N', 3])] : [])],
    outputs: [makeValueInfo('Y', outDims), ...(o.extraOutput ? [makeValueInfo('F', ['N', px])] : [])],
  });
  return encodeModel(makeModel(graph, { opset: 17 }));
}
