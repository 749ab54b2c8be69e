/**
 * A standalone ONNX model of one activation: input X, output Y, same shape, parameters at their
 * initial (or given) values. Used by `actbench acts export`, the parity suite and the benchmark.
 */
import { compileActivation, type ActivationDef } from '../acts/define.js';
import { lowerActivation, type ExportTarget } from '../acts/onnx.js';
import type { Layout } from '../acts/tfjs.js';
import { ActbenchError } from '../errors.js';
import { checkOpset, SUPPORTED_OPSETS } from './opsets.js';
import { encodeModel, makeGraph, makeModel, makeValueInfo } from './writer.js';

/** The opset check lives with the opset table in opsets.ts; re-exported for existing callers. */
export { checkOpset };

export interface ActivationModelOptions {
  /** full input shape including batch, in `layout` order, e.g. [N, C, H, W] */
  shape: readonly number[];
  opset?: number;
  layout?: Layout;
  /** declare the batch dimension symbolic ('N') */
  dynamicBatch?: boolean;
  target?: ExportTarget;
  cudaSafe?: boolean;
  /** parameter values in TF.js (channels-last) order */
  paramValues?: Readonly<Record<string, Float32Array | number[]>>;
}

export function activationModel(def: ActivationDef, o: ActivationModelOptions): Uint8Array {
  const opset = checkOpset(o.opset ?? SUPPORTED_OPSETS.default);
  if (o.shape.length < 2 || o.shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ActbenchError('ONNX_BAD_SHAPE', `shape must be at least 2 positive integers (N,C or N,C,H,W), got ${o.shape.join(',')}`, { field: 'shape' });
  }
  const layout = o.layout ?? 'NCHW';
  const fragment = lowerActivation(def, {
    opset,
    layout,
    featureShape: o.shape.slice(1),
    input: 'X',
    output: 'Y',
    target: o.target,
    cudaSafe: o.cudaSafe,
    paramValues: o.paramValues,
  });
  const dims: (number | string)[] = [o.dynamicBatch ? 'N' : o.shape[0], ...o.shape.slice(1)];
  const graph = makeGraph({
    name: `actbench_${def.name}`,
    fragments: [fragment],
    inputs: [makeValueInfo('X', dims)],
    outputs: [makeValueInfo('Y', dims)],
  });
  const c = compileActivation(def);
  return encodeModel(
    makeModel(graph, {
      opset,
      docString: `actbench activation '${def.name}': ${def.expr}`,
      metadata: {
        'actbench.activation': JSON.stringify(def),
        'actbench.layout': layout,
        'actbench.target': o.target ?? 'any',
        'actbench.params': c.paramNames.join(','),
      },
    }),
  );
}
