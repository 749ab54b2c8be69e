/**
 * The model contract: the one check, made before any work, that an ONNX model can take what actbench
 * feeds and give what it reads. eval, bench, study and search all go through it.
 *
 * What actbench feeds: exactly one image input of rank 4, either
 *   - float32 [N, C, H, W], normalised pixels ('float-nchw', actbench's default export and PyTorch's), or
 *   - float32 [N, H, W, C] when the preprocessing says layout nhwc ('float-nhwc', Keras / TF exports), or
 *   - uint8   [N, H, W, C], raw pixels with preprocessing inside the graph ('uint8-nhwc' export).
 * What it reads: exactly one float output of logits [N, K]; [N, K, 1, 1] (a classifier ending in a 1×1
 * convolution or a global pool without flatten) is accepted and read as [N, K] — the only squeeze.
 * Every label of every set used (clean and each corrupted set) must lie in [0, K), and K must cover the
 * dataset's classes. Dynamic (symbolic) C/H/W are resolved from the data; without data (bench) they are
 * refused unless an input shape is given. A static batch dimension is honoured (eval pads the last batch;
 * bench refuses other batch sizes).
 */
import { ActbenchError } from '../errors.js';
import type { onnx } from '../onnx/proto/onnx.js';

/** onnx.TensorProto.DataType values and names (for messages). */
const ELEM_NAMES: Record<number, string> = {
  0: 'undefined', 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};
export const ELEM = { float32: 1, uint8: 2, float64: 11 } as const;
export const elemName = (t: number): string => ELEM_NAMES[t] ?? `type ${t}`;

/** One dimension: a static size, a symbolic name (dynamic), or null (unknown, also dynamic). */
export type Dim = number | string | null;

export interface TensorDesc {
  name: string;
  /** onnx.TensorProto.DataType */
  elemType: number;
  /** null: no shape recorded (unknown rank) */
  dims: Dim[] | null;
}

export interface ModelDesc {
  /** the model file (for messages) */
  file: string;
  inputs: TensorDesc[];
  outputs: TensorDesc[];
}

/** What the data will be: the image shape and every label set that will be fed. */
export interface DataDesc {
  height: number;
  width: number;
  channels: number;
  /** classes of the dataset when known (K must be ≥ this) */
  numClasses?: number;
  labelSets: { what: string; file?: string; labels: ArrayLike<number> }[];
}

export interface ModelContract {
  file: string;
  inputName: string;
  input: 'uint8-nhwc' | 'float-nchw' | 'float-nhwc';
  /** [C, H, W] as fed */
  shape: [number, number, number];
  /** a static batch size the model requires, or null (dynamic) */
  batch: number | null;
  outputName: string;
  /** logits per image, or null while dynamic (resolved by checkOutputDims on the first run) */
  classes: number | null;
  /** the output is [N, K, 1, 1], read as [N, K] */
  squeezed: boolean;
}

const fmtDims = (d: Dim[] | null) => (d === null ? 'unknown shape' : `[${d.map((x) => (x === null ? '?' : String(x))).join(', ')}]`);
const isStatic = (d: Dim): d is number => typeof d === 'number';

function fail(code: string, m: ModelDesc, tensor: string, message: string): never {
  throw new ActbenchError(code, `${m.file}: ${message}`, { file: m.file, field: tensor });
}

/**
 * Check a model's declared inputs and outputs (and, given the data, their sizes and every label) and
 * return how to feed it. `inputShape` ([C, H, W]) resolves dynamic dims when there is no data (bench).
 */
export function checkModelContract(m: ModelDesc, data?: DataDesc, inputShape?: [number, number, number], layout: 'nchw' | 'nhwc' = 'nchw'): ModelContract {
  if (m.inputs.length !== 1) {
    fail('MODEL_INPUT_COUNT', m, m.inputs.map((i) => i.name).join(',') || 'inputs',
      `has ${m.inputs.length} inputs (${m.inputs.map((i) => `'${i.name}'`).join(', ') || 'none'}); actbench feeds exactly one image input, float32 [N, C, H, W] or uint8 [N, H, W, C]`);
  }
  const x = m.inputs[0];
  const input = x.elemType === ELEM.float32 ? (layout === 'nhwc' ? 'float-nhwc' : 'float-nchw') : x.elemType === ELEM.uint8 ? 'uint8-nhwc' : null;
  if (input === null) {
    fail('MODEL_INPUT_TYPE', m, x.name, `input '${x.name}' is ${elemName(x.elemType)}; actbench feeds float32 [N, C, H, W] (normalised; [N, H, W, C] with --layout nhwc) or uint8 [N, H, W, C] (raw pixels)${x.elemType === 7 || x.elemType === 6 ? ' — an integer input is token ids or an index, not an image' : ''}`);
  }
  const layoutName = input === 'float-nchw' ? 'float32 [N, C, H, W]' : input === 'float-nhwc' ? 'float32 [N, H, W, C]' : 'uint8 [N, H, W, C]';
  if (x.dims === null || x.dims.length !== 4) {
    fail('MODEL_INPUT_RANK', m, x.name, `input '${x.name}' has ${x.dims === null ? 'no declared shape' : `rank ${x.dims.length} ${fmtDims(x.dims)}`}; expected rank 4, ${layoutName}`);
  }
  const [d0, ...rest] = x.dims;
  // declared C, H, W in feeding order
  const [c, h, w] = input === 'float-nchw' ? [rest[0], rest[1], rest[2]] : [rest[2], rest[0], rest[1]];
  // a float model declared [N, H, W, 1|3] fed as NCHW would fail on its shape: say which flag fixes it
  const nhwcHint = input === 'float-nchw' && isStatic(rest[2]) && (rest[2] === 1 || rest[2] === 3) && isStatic(rest[0]) && rest[0] > 4 ? ' (it looks channels-last: pass --layout nhwc)' : '';
  for (const d of x.dims) {
    if (isStatic(d) && (!Number.isInteger(d) || d < 1)) fail('MODEL_INPUT_SHAPE', m, x.name, `input '${x.name}' ${fmtDims(x.dims)} has a dimension ${d}; expected ${layoutName} with sizes ≥ 1`);
  }
  const want = data ? ([data.channels, data.height, data.width] as const) : inputShape;
  const resolved: number[] = [];
  for (const [k, d] of [c, h, w].entries()) {
    const name = ['C', 'H', 'W'][k];
    if (isStatic(d)) {
      if (want && want[k] !== d) {
        fail('MODEL_INPUT_SHAPE', m, x.name,
          `input '${x.name}' is ${fmtDims(x.dims)} (${layoutName}): it expects ${h}×${w}×${c} images (H×W×C), the data has ${want[1]}×${want[2]}×${want[0]}${nhwcHint}${data ? ' (resize and crop folder images with --resize/--center-crop)' : ''}`);
      }
      resolved.push(d);
    } else if (want) {
      resolved.push(want[k]);
    } else {
      fail('MODEL_DYNAMIC_INPUT', m, x.name, `input '${x.name}' ${fmtDims(x.dims)} has a dynamic ${name} dimension${d ? ` ('${d}')` : ''}; give the image size with --input-shape C,H,W (expected ${layoutName})`);
    }
  }
  const batch = isStatic(d0) ? d0 : null;

  if (m.outputs.length !== 1) {
    fail('MODEL_OUTPUT_COUNT', m, m.outputs.map((o) => o.name).join(',') || 'outputs',
      `has ${m.outputs.length} outputs (${m.outputs.map((o) => `'${o.name}'`).join(', ') || 'none'}); actbench reads exactly one output of logits [N, classes]`);
  }
  const y = m.outputs[0];
  if (y.elemType !== ELEM.float32 && y.elemType !== ELEM.float64) {
    fail('MODEL_OUTPUT_TYPE', m, y.name, `output '${y.name}' is ${elemName(y.elemType)}; expected float32 logits [N, classes]`);
  }
  let classes: number | null = null;
  let squeezed = false;
  if (y.dims !== null) {
    const dims = y.dims;
    const ones = dims.length === 4 && dims[2] === 1 && dims[3] === 1;
    if (dims.length !== 2 && !ones) {
      fail('MODEL_OUTPUT_SHAPE', m, y.name, `output '${y.name}' is ${fmtDims(dims)} (rank ${dims.length}); expected logits [N, classes] (or [N, classes, 1, 1])`);
    }
    squeezed = ones;
    if (isStatic(dims[0]) && batch !== null && dims[0] !== batch) {
      fail('MODEL_OUTPUT_SHAPE', m, y.name, `output '${y.name}' ${fmtDims(dims)} has batch ${dims[0]} but the input has batch ${batch}; expected [${batch}, classes]`);
    }
    if (isStatic(dims[1])) {
      if (dims[1] < 1) fail('MODEL_OUTPUT_SHAPE', m, y.name, `output '${y.name}' ${fmtDims(dims)} has no classes; expected [N, classes]`);
      classes = dims[1];
    }
  }
  const contract: ModelContract = { file: m.file, inputName: x.name, input, shape: resolved as [number, number, number], batch, outputName: y.name, classes, squeezed };
  if (data && classes !== null) checkLabels(contract, data);
  return contract;
}

/** The dims of an input batch of n images as the model takes it. */
export function inputDims(c: ModelContract, n: number): [number, number, number, number] {
  const [ch, h, w] = c.shape;
  return c.input === 'float-nchw' ? [n, ch, h, w] : [n, h, w, ch];
}

/** Every label of every set in [0, K), and K ≥ the dataset's classes. */
export function checkLabels(c: ModelContract, data: DataDesc, classes = c.classes): void {
  if (classes === null) return;
  if (data.numClasses !== undefined && classes < data.numClasses) {
    throw new ActbenchError('MODEL_TOO_FEW_CLASSES', `${c.file}: output '${c.outputName}' gives ${classes} logits per image, the dataset has ${data.numClasses} classes; expected [N, ≥ ${data.numClasses}]`, { file: c.file, field: c.outputName });
  }
  for (const set of data.labelSets) {
    for (let i = 0; i < set.labels.length; i++) {
      const l = set.labels[i];
      if (!Number.isInteger(l) || l < 0 || l >= classes) {
        throw new ActbenchError('MODEL_LABEL_RANGE',
          `${c.file}: output '${c.outputName}' has ${classes} classes, but label ${l} (row ${i} of ${set.what}) is outside [0, ${classes}); the model and the data do not match`,
          { file: set.file ?? c.file, field: 'labels' });
      }
    }
  }
}

/**
 * The dims of an actual output against the contract (after a run): [n, K] or [n, K, 1, 1]. Resolves a
 * dynamic K; returns K.
 */
export function checkOutputDims(c: ModelContract, dims: readonly number[], n: number): number {
  const ok = (dims.length === 2 || (dims.length === 4 && dims[2] === 1 && dims[3] === 1)) && dims[0] === n && dims[1] >= 1 && (c.classes === null || dims[1] === c.classes);
  if (!ok) {
    throw new ActbenchError('MODEL_OUTPUT_SHAPE', `${c.file}: output '${c.outputName}' came out as [${dims.join(', ')}] for a batch of ${n}; expected [${n}, ${c.classes ?? 'classes'}]`, { file: c.file, field: c.outputName });
  }
  return dims[1];
}

/** Batch sizes a model can be run with (bench): a static batch allows only itself. */
export function checkBatches(c: ModelContract, batches: readonly number[]): void {
  const bad = batches.filter((b) => c.batch !== null && b !== c.batch);
  if (bad.length) {
    throw new ActbenchError('MODEL_STATIC_BATCH', `${c.file}: input '${c.inputName}' has a static batch of ${c.batch}; batch sizes ${bad.join(', ')} cannot be fed (use --batches ${c.batch})`, { file: c.file, field: c.inputName });
  }
}

/** A decoded ONNX model's graph inputs (initializers listed as inputs by IR < 4 excluded) and outputs. */
export function describeGraph(file: string, graph: onnx.GraphProto.$Properties | null | undefined): ModelDesc {
  const inits = new Set((graph?.initializer ?? []).map((t) => t.name ?? ''));
  const tensor = (v: onnx.ValueInfoProto.$Properties): TensorDesc => {
    const tt = v.type?.tensorType;
    // a dim holds a value, a symbolic name, or neither (unknown); dimValue decodes as a Long
    const dims = tt?.shape ? (tt.shape.dim ?? []).map((d): Dim => ((d as onnx.TensorShapeProto.Dimension).value === 'dimValue' ? Number(d.dimValue) : (d as onnx.TensorShapeProto.Dimension).value === 'dimParam' ? (d.dimParam ?? null) : null)) : null;
    return { name: v.name ?? '', elemType: tt?.elemType ?? 0, dims };
  };
  return {
    file,
    inputs: (graph?.input ?? []).filter((i) => !inits.has(i.name ?? '')).map(tensor),
    outputs: (graph?.output ?? []).map(tensor),
  };
}
