/**
 * Taps from an ONNX model: find the activation layers, add their input and output tensors as extra graph
 * outputs of a copy of the model, run the copy on onnxruntime.
 *
 * Where the layers are: an actbench export records each activation subgraph's input and output tensors
 * (metadata 'actbench.activation_io') with its definition ('actbench.activations') and trained parameters
 * (initializers '<layer>/<param>'). Other models are searched for standard activation nodes: Relu,
 * LeakyRelu, Elu, Selu, Sigmoid·Mul (SiLU), HardSigmoid·Mul (hard SiLU), HardSwish, Gelu, Tanh, Softplus,
 * PRelu and lone Sigmoid / HardSigmoid; --layers names any node (its first input and output are tapped).
 */
import { readFileSync } from 'node:fs';
import type * as ort from 'onnxruntime-node';
import { resolveActivation, type ActivationDef } from '../acts/define.js';
import type { ParamDef } from '../acts/ir.js';
import { ActbenchError, fsError } from '../errors.js';
import { onnx } from '../onnx/proto/onnx.js';
import { decodeModel, encodeModel } from '../onnx/writer.js';
import { toInput, type PreparedModel } from '../eval/evaluate.js';
import { createSession, type EpName } from '../runtime/session.js';
import { nchwToNhwc, selectTaps, type Tap, type TapBatch, type TapSource } from './taps.js';

interface OnnxTap extends Tap {
  input: string;
  output: string;
  /** parameter values as stored in the graph (NCHW layouts), converted once the feature shape is known */
  rawParams: Record<string, { def: ParamDef; values: Float32Array }>;
}

function floatData(t: onnx.ITensorProto): Float32Array {
  if (t.rawData && t.rawData.length) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return Float32Array.from({ length: t.rawData.byteLength / 4 }, (_, k) => view.getFloat32(k * 4, true));
  }
  return Float32Array.from(t.floatData ?? []);
}

const attrF = (n: onnx.INodeProto, name: string, dflt: number): number => {
  const a = (n.attribute ?? []).find((x) => x.name === name);
  return a && a.f !== undefined && a.f !== null ? a.f : dflt;
};
const attrS = (n: onnx.INodeProto, name: string): string | null => {
  const a = (n.attribute ?? []).find((x) => x.name === name);
  return a?.s ? new TextDecoder().decode(a.s) : null;
};
const nodeName = (n: onnx.INodeProto, k: number) => (n.name ? n.name : `${n.opType}_${k}`);
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

/** The actbench definition of a standard ONNX activation node (null: the op with these attributes has none). */
function standardDef(n: onnx.INodeProto, inits: Map<string, onnx.ITensorProto>): { def: ActivationDef; params: OnnxTap['rawParams'] } | null {
  const plain = (spec: string) => ({ def: resolveActivation(spec), params: {} });
  switch (n.opType) {
    case 'Relu':
      return plain('relu');
    case 'LeakyRelu':
      return plain(`leaky_relu:slope=${attrF(n, 'alpha', 0.01)}`);
    case 'Elu': {
      const a = attrF(n, 'alpha', 1);
      return a === 1 ? plain('elu') : plain(`relu(x) - relu(-${a}*expm1(x))`);
    }
    case 'Selu':
      return close(attrF(n, 'alpha', 1.67326319217681884765625), 1.6732632423543772) && close(attrF(n, 'gamma', 1.05070102214813232421875), 1.0507009873554805) ? plain('selu') : null;
    case 'Tanh':
      return plain('tanh');
    case 'Softplus':
      return plain('softplus');
    case 'Sigmoid':
      return plain('sigmoid');
    case 'HardSwish':
      return plain('hard_silu');
    case 'HardSigmoid': {
      const [a, b] = [attrF(n, 'alpha', 0.2), attrF(n, 'beta', 0.5)];
      return plain(`clip(${a}*x + ${b}, 0, 1)`);
    }
    case 'Gelu':
      return plain(attrS(n, 'approximate') === 'tanh' ? 'gelu_tanh' : 'gelu');
    case 'PRelu': {
      const slope = inits.get(n.input?.[1] ?? '');
      if (!slope) return null;
      const values = floatData(slope);
      const def = resolveActivation(values.length === 1 ? 'prelu' : 'prelu_channel');
      return { def, params: { a: { def: def.params.a, values } } };
    }
    default:
      return null;
  }
}

/** Standard activation nodes of a foreign graph, with SiLU-style x·σ(x) pairs taken as one layer. */
function foreignLayers(graph: onnx.IGraphProto): OnnxTap[] {
  const nodes = graph.node ?? [];
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const consumers = new Map<string, onnx.INodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const taken = new Set<onnx.INodeProto>();
  const out: OnnxTap[] = [];
  nodes.forEach((n, k) => {
    if (taken.has(n)) return;
    const x = n.input?.[0] ?? '';
    if (n.opType === 'Sigmoid' || n.opType === 'HardSigmoid') {
      const s = n.output?.[0] ?? '';
      const mul = (consumers.get(s) ?? []).find((m) => m.opType === 'Mul' && (m.input ?? []).includes(x) && (m.input ?? []).includes(s));
      if (mul) {
        taken.add(mul);
        const [a, b] = [attrF(n, 'alpha', 0.2), attrF(n, 'beta', 0.5)];
        const spec = n.opType === 'Sigmoid' ? 'swish' : close(a, 1 / 6) && close(b, 0.5) ? 'hard_silu' : `x*clip(${a}*x + ${b}, 0, 1)`;
        out.push({ name: nodeName(mul, nodes.indexOf(mul)), kind: `${n.opType}·Mul`, activation: resolveActivation(spec), params: {}, rawParams: {}, input: x, output: mul.output?.[0] ?? '' });
        return;
      }
    }
    const std = standardDef(n, inits);
    if (std) out.push({ name: nodeName(n, k), kind: n.opType ?? '', activation: std.def, params: {}, rawParams: std.params, input: x, output: n.output?.[0] ?? '' });
  });
  return out;
}

/** Layers an actbench export recorded, or null when the model is not one (older exports: searched like any model). */
function actbenchLayers(file: string, model: onnx.IModelProto, named: boolean): OnnxTap[] | null {
  const meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  if (!meta['actbench.activations']) return null;
  if (!meta['actbench.activation_io']) {
    if (named) return [];
    // an actbench export from before the boundaries were recorded: its activations are lowered into plain
    // nodes, and searching those (a LayerAct's inner Sigmoid) would analyse the wrong tensors
    throw new ActbenchError('ANALYZE_OLD_EXPORT', `${file} is an actbench export that does not record where its activation layers start and end; export the run again (actbench export RUN --force) or name the nodes with --layers`, { file, field: 'actbench.activation_io' });
  }
  let io: Record<string, { input: string; output: string }>;
  let defs: Record<string, ActivationDef>;
  try {
    io = JSON.parse(meta['actbench.activation_io']);
    defs = JSON.parse(meta['actbench.activations']);
  } catch (e) {
    throw new ActbenchError('EVAL_BAD_MODEL', `${file}: metadata 'actbench.activation_io' or 'actbench.activations' is not valid JSON (${(e as Error).message})`, { file, field: 'actbench.activation_io' });
  }
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  return Object.entries(io).map(([name, { input, output }]) => {
    const def = resolveActivation(defs[name]);
    const rawParams: OnnxTap['rawParams'] = {};
    for (const [p, pd] of Object.entries(def.params)) {
      const t = inits.get(`${name}/${p}`);
      // a parameter the lowering dropped (unused) keeps its initial value
      if (t) rawParams[p] = { def: pd, values: floatData(t) };
    }
    return { name, kind: 'actbench', activation: def, params: {}, rawParams, input, output };
  });
}

/** The tensor the classifier (the Gemm/MatMul producing the logits, through Identity/Add) reads. */
function penultimateTensor(graph: onnx.IGraphProto): string | null {
  const producer = new Map<string, onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  let t = graph.output?.[0]?.name ?? '';
  for (let hops = 0; hops < 8; hops++) {
    const p = producer.get(t);
    if (!p) return null;
    if (p.opType === 'Gemm' || p.opType === 'MatMul') return p.input?.[0] ?? null;
    if (p.opType !== 'Identity' && p.opType !== 'Add' && p.opType !== 'Flatten' && p.opType !== 'Reshape') return null;
    // Add: follow the input that is not an initializer (the bias)
    const inits = new Set((graph.initializer ?? []).map((x) => x.name));
    t = (p.input ?? []).find((i) => !inits.has(i)) ?? '';
  }
  return null;
}

/** Parameters in TF.js's channels-last shapes, for a feature shape known from the first batch (channels-last). */
function tfjsParams(raw: OnnxTap['rawParams'], shape: number[]): Tap['params'] {
  const out: Tap['params'] = {};
  for (const [k, { def, values }] of Object.entries(raw)) {
    if (def.shape === 'scalar') out[k] = { shape: [1], values };
    else if (def.shape === 'channel') out[k] = { shape: [shape[shape.length - 1]], values };
    else if (shape.length === 3) {
      const [h, w, c] = shape;
      out[k] = { shape, values: nchwToNhwc(values, 1, c, h, w) };
    } else out[k] = { shape, values };
  }
  return out;
}

export async function onnxTaps(m: PreparedModel, o: { layers?: string[]; ep?: EpName }): Promise<TapSource> {
  let model: onnx.ModelProto;
  try {
    model = decodeModel(readFileSync(m.path));
  } catch (e) {
    throw fsError(e, m.path, 'read the model');
  }
  const graph = model.graph as onnx.GraphProto;
  const found = actbenchLayers(m.path, model, !!o.layers?.length) ?? foreignLayers(graph);
  const nodes = graph.node ?? [];
  const anyNode = (name: string): OnnxTap | null => {
    const k = nodes.findIndex((n, i) => nodeName(n, i) === name);
    if (k < 0) return null;
    const n = nodes[k];
    const std = standardDef(n, new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t])));
    return { name, kind: 'node', activation: std?.def ?? null, params: {}, rawParams: std?.params ?? {}, input: n.input?.[0] ?? '', output: n.output?.[0] ?? '' };
  };
  const taps = selectTaps(found, o.layers, m.path, anyNode);
  const penult = penultimateTensor(graph);
  const extra = [...new Set([...taps.flatMap((t) => [t.input, t.output]), ...(penult ? [penult] : [])])];
  const have = new Set((graph.output ?? []).map((v) => v.name));
  for (const name of extra) {
    if (!have.has(name)) graph.output.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }));
  }
  const info = await createSession(encodeModel(model), { ep: o.ep ?? 'cpu' });
  const session = info.session;
  let paramsReady = false;
  return {
    describe: `${m.path} (onnxruntime ${info.ortVersion}, ${info.actualEp})`,
    taps,
    async run(images, n, shape) {
      const rows = m.contract.batch ?? n;
      if (n > rows) throw new ActbenchError('ANALYZE_STATIC_BATCH', `${m.path} has a static batch of ${rows}; analyse with --batch ${rows}`, { file: m.path, field: 'batch' });
      const res = await session.run({ [m.contract.inputName]: toInput(m, images, n, rows, shape.height, shape.width, shape.channels) });
      const get = (name: string): { data: Float32Array; shape: number[] } => {
        const t = res[name] as ort.Tensor;
        const dims = t.dims.map(Number);
        const data = (t.data as Float32Array).subarray(0, n * dims.slice(1).reduce((a, b) => a * b, 1));
        if (dims.length === 4) return { data: nchwToNhwc(data, n, dims[1], dims[2], dims[3]), shape: [dims[2], dims[3], dims[1]] };
        return { data: Float32Array.from(data), shape: dims.slice(1) };
      };
      const ins = taps.map((t) => get(t.input));
      const outs = taps.map((t) => get(t.output));
      if (!paramsReady) {
        taps.forEach((t, k) => (t.params = tfjsParams(t.rawParams, ins[k].shape)));
        paramsReady = true;
      }
      const p = penult ? get(penult) : null;
      const batch: TapBatch = {
        n,
        inputs: ins.map((v) => v.data),
        outputs: outs.map((v) => v.data),
        shapes: ins.map((v) => v.shape),
        penultimate: p ? { d: p.data.length / n, values: p.data } : null,
      };
      return batch;
    },
    async close() {
      await session.release();
    },
  };
}
