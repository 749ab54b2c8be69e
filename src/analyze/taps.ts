/**
 * Taps: the activation layers of a real model and, per batch, their actual inputs y and outputs a (and the
 * penultimate features), read from the model itself. Two sources share one interface:
 *   - a TF.js run directory: a sub-model whose outputs are every tapped layer's input and output;
 *   - an ONNX file: a copy of the graph with those tensors added as graph outputs, run on onnxruntime
 *     (actbench exports record where each activation subgraph starts and ends; other models are searched
 *     for standard activation nodes, or take --layers by node name).
 * All values come back channels-last ([n, H, W, C] or [n, F]) so f can be applied as TF.js trains it.
 */
import type { ActivationDef } from '../acts/define.js';
import { closeMatches, ActbenchError } from '../errors.js';

export interface Tap {
  /** the layer's name (TF.js layer name, or the ONNX node/layer name) */
  name: string;
  /** how the layer was found: 'actbench' (recorded by the exporter / a TF.js ActivationLayer), an ONNX op pattern, or 'node' (--layers) */
  kind: string;
  /** the activation's definition, or null where f is not known (then only means and corruption changes are computed) */
  activation: ActivationDef | null;
  /** trained parameter values, channels-last shapes, for evaluating f */
  params: Record<string, { shape: number[]; values: Float32Array }>;
}

export interface TapBatch {
  n: number;
  /** per tap: y and a, [n, ...featureShape] flattened, channels-last */
  inputs: Float32Array[];
  outputs: Float32Array[];
  /** per tap: the feature shape without the batch, channels-last */
  shapes: number[][];
  /** [n, d] features feeding the classifier, or null */
  penultimate: { d: number; values: Float32Array } | null;
}

export interface TapSource {
  /** what is analysed, for reports */
  describe: string;
  taps: Tap[];
  /** uint8 NHWC images → taps (the model's own preprocessing / the run's normalisation applied) */
  run(images: Uint8Array, n: number, shape: { height: number; width: number; channels: number }): Promise<TapBatch>;
  close(): Promise<void>;
}

/** Keep the taps named by --layers (in the order given), or refuse with the names that exist. */
export function selectTaps<T extends { name: string }>(found: T[], names: string[] | undefined, file: string | undefined, extra: (name: string) => T | null = () => null): T[] {
  if (!names || names.length === 0) {
    if (found.length === 0) {
      throw new ActbenchError('ANALYZE_NO_LAYERS', `${file ?? 'the model'} has no recognisable activation layers (looked for actbench activation layers and the ONNX nodes Relu, LeakyRelu, Elu, Selu, Sigmoid·Mul, HardSigmoid·Mul, HardSwish, Gelu, Tanh, Softplus, PRelu, Sigmoid, HardSigmoid); name the nodes to analyse with --layers NAME,NAME`, { file, field: 'layers' });
    }
    return found;
  }
  return names.map((n) => {
    const hit = found.find((f) => f.name === n) ?? extra(n);
    if (hit) return hit;
    const avail = found.map((f) => f.name);
    const close = closeMatches(n, avail);
    throw new ActbenchError(
      'ANALYZE_UNKNOWN_LAYER',
      `--layers: no layer named '${n}' in ${file ?? 'the model'}${close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(', ')}?)` : ''}; available activation layers: ${avail.length ? avail.join(', ') : 'none found'}`,
      { file, field: 'layers' },
    );
  });
}

/** NCHW [n, C, H, W] → NHWC. */
export function nchwToNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  const hw = h * w;
  for (let k = 0; k < n; k++)
    for (let ch = 0; ch < c; ch++) {
      const src = (k * c + ch) * hw;
      for (let p = 0; p < hw; p++) out[(k * hw + p) * c + ch] = x[src + p];
    }
  return out;
}
