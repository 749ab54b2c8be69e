/**
 * TF.js LayersModel → ONNX, NCHW.
 *
 * The graph is NCHW throughout (one declared NCHW float input, or uint8 NHWC with the preprocessing inside
 * the graph); weights are re-laid at export (HWIO → OIHW, depthwise → grouped Conv), TF's 'same' padding is
 * made explicit (it pads more at the end for even inputs, which symmetric pads get wrong), BatchNorm is
 * folded into the preceding convolution/dense layer or kept, activations are lowered by the activation
 * compiler with their trained parameters, the batch dimension is symbolic.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ActivationDef } from '../acts/define.js';
import { lowerActivation, type ExportTarget } from '../acts/onnx.js';
import { ActivationLayer } from '../acts/tfjs.js';
import { ActbenchError } from '../errors.js';
import { SeededDropout, ShortcutA, TorchMaxPool } from '../models/layers.js';
import { pair } from '../util/pair.js';
import { GraphBuilder, i, ints, layerNames } from './graph.js';
import { checkOpset, SUPPORTED_OPSETS } from './opsets.js';
import { encodeModel, makeGraph, makeModel, makeValueInfo } from './writer.js';

/** The lowest opset a network export supports (the CLI's --opset range starts here). */
export const MIN_NETWORK_OPSET = SUPPORTED_OPSETS.network;

export interface ExportOptions {
  opset?: number;
  /** fold BatchNormalization into the preceding Conv/Gemm (default true) */
  foldBatchNorm?: boolean;
  /** uint8 NHWC input with x/255, mean and std applied inside the graph */
  preprocess?: { mean: number[]; std: number[] };
  /** the provider the graph is for (default 'any', the portable graph); recorded as actbench.target */
  target?: ExportTarget;
  cudaSafe?: boolean;
  metadata?: Record<string, string>;
}

export interface ExportedModel {
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
  /** per input, in declared order */
  inputShape: (number | string)[];
  nodeCount: number;
  foldedBatchNorms: number;
}

interface Value {
  name: string;
  /** shape without batch, in the graph's layout: [C, H, W] for maps, [F] for vectors */
  shape: number[];
  /**
   * a ZeroPadding2D whose every consumer is a 'valid' convolution: no Pad node, `name`/`shape` are the
   * unpadded input and the convolutions add these [top, left, bottom, right] pads to their own
   */
  zeroPads?: number[];
}

/** TF's 'same' padding: total = max((ceil(in/s) − 1)·s + k_eff − in, 0), the extra pixel at the end. */
export function samePads(inSize: number, k: number, s: number, d = 1): [number, number] {
  const kEff = (k - 1) * d + 1;
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + kEff - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function pads2d(cfg: { padding?: string }, h: number, w: number, kh: number, kw: number, sh: number, sw: number, dh = 1, dw = 1): number[] {
  if (cfg.padding === 'valid') return [0, 0, 0, 0];
  const [t, b] = samePads(h, kh, sh, dh);
  const [l, r] = samePads(w, kw, sw, dw);
  return [t, l, b, r];
}

const outSize = (inSize: number, k: number, s: number, pad: number, d = 1) => Math.floor((inSize + pad - ((k - 1) * d + 1)) / s) + 1;


function data(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}

/** HWIO → OIHW */
function convKernel(k: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let ci = 0; ci < cin; ci++)
        for (let co = 0; co < cout; co++) out[((co * cin + ci) * kh + y) * kw + x] = k[((y * kw + x) * cin + ci) * cout + co];
  return out;
}

/** depthwise [kh, kw, cin, mult] → grouped Conv weight [cin·mult, 1, kh, kw] (output channel ci·mult + m) */
function depthwiseKernel(k: Float32Array, [kh, kw, cin, mult]: number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let ci = 0; ci < cin; ci++)
        for (let m = 0; m < mult; m++) out[((ci * mult + m) * kh + y) * kw + x] = k[((y * kw + x) * cin + ci) * mult + m];
  return out;
}

interface Affine {
  /** per-output-channel weights stored so channel c is the contiguous block [c·per, (c+1)·per) */
  weight: Float32Array;
  per: number;
  bias: Float32Array;
}

/** BN(y) = s·y + t with s = γ/√(var + ε), t = β − mean·s */
function bnAffine(layer: tf.layers.Layer): { s: Float32Array; t: Float32Array } {
  const cfg = layer.getConfig() as { epsilon: number; center: boolean; scale: boolean };
  const ws = layer.getWeights();
  let k = 0;
  const gamma = cfg.scale ? data(ws[k++]) : null;
  const beta = cfg.center ? data(ws[k++]) : null;
  const mean = data(ws[k++]);
  const variance = data(ws[k++]);
  const s = new Float32Array(mean.length);
  const t = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    s[c] = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + cfg.epsilon);
    t[c] = (beta ? beta[c] : 0) - mean[c] * s[c];
  }
  return { s, t };
}

function foldInto(a: Affine, bnLayer: tf.layers.Layer): void {
  const { s, t } = bnAffine(bnLayer);
  for (let c = 0; c < a.bias.length; c++) {
    for (let j = 0; j < a.per; j++) a.weight[c * a.per + j] *= s[c];
    a.bias[c] = a.bias[c] * s[c] + t[c];
  }
}

function inboundLayers(layer: tf.layers.Layer): tf.layers.Layer[] {
  const nodes = (layer as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes;
  if (nodes.length !== 1) throw new ActbenchError('EXPORT_SHARED_LAYER', `layer '${layer.name}' (${layer.getClassName()}) is applied ${nodes.length} times; shared layers are not supported`, { field: layer.name });
  return nodes[0].inboundLayers;
}

export function exportLayersModel(model: tf.LayersModel, o: ExportOptions = {}): ExportedModel {
  const opset = checkOpset(o.opset ?? SUPPORTED_OPSETS.default, { min: SUPPORTED_OPSETS.network, what: 'network export opset' });
  const foldBn = o.foldBatchNorm ?? true;
  const g = new GraphBuilder(opset, { naming: layerNames });
  const values = new Map<string, Value>(); // layer name → its output value
  const consumers = new Map<string, tf.layers.Layer[]>();
  for (const layer of model.layers) for (const src of inboundLayers(layer)) consumers.set(src.name, [...(consumers.get(src.name) ?? []), layer]);

  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new ActbenchError('EXPORT_IO', `only single-input single-output models export; '${model.name}' has ${model.inputs.length} inputs, ${model.outputs.length} outputs`);
  const inShape = model.inputs[0].shape.slice(1) as number[];
  if (inShape.length !== 3 || inShape.some((d) => d === null)) throw new ActbenchError('EXPORT_INPUT', `the model input must be [H, W, C] with known sizes, got [${inShape.join(', ')}]`);
  const [H, W, C] = inShape;
  let inputName = 'input';
  let inputDims: (number | string)[] = ['N', C, H, W];
  let x = inputName;
  if (o.preprocess) {
    // uint8 NHWC in → (x/255 − mean)/std, NCHW float
    inputDims = ['N', H, W, C];
    inputName = 'image_uint8';
    const f32 = g.node('Cast', [inputName], { to: i(1) }, 'pre_cast');
    const nchw = g.node('Transpose', [f32], { perm: ints([0, 3, 1, 2]) }, 'pre_nchw');
    const scale = Float32Array.from(o.preprocess.std.map((s) => 1 / (255 * s)));
    const shift = Float32Array.from(o.preprocess.mean.map((m, c) => -m / o.preprocess!.std[c]));
    x = g.node('Add', [g.node('Mul', [nchw, g.tensor('pre_scale', [C, 1, 1], scale)], {}, 'pre_mul'), g.tensor('pre_shift', [C, 1, 1], shift)], {}, 'pre_add');
  }

  const folded = new Set<string>();
  const structural: string[] = []; // lowering constants that are not weights (the CPU shortcut filter)
  const activations: Record<string, ActivationDef> = {};
  // where each activation subgraph starts and ends (its input and output tensors), for `actbench analyze`
  const activationIo: Record<string, { input: string; output: string }> = {};
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const ins = inboundLayers(layer).map((l) => {
      const v = values.get(l.name);
      if (!v) throw new Error(`internal: ${l.name} not exported before ${layer.name}`);
      return v;
    });
    const cfg = layer.getConfig() as Record<string, unknown>;
    const set = (v: Value) => values.set(layer.name, v);
    const onlyConsumerIsBn = () => {
      const cs = consumers.get(layer.name) ?? [];
      return foldBn && cs.length === 1 && cs[0].getClassName() === 'BatchNormalization' ? cs[0] : null;
    };
    switch (cls) {
      case 'InputLayer':
        set({ name: x, shape: [C, H, W] });
        break;
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const [cin, h, w] = ins[0].shape;
        const ws = layer.getWeights();
        const kshape = ws[0].shape as number[];
        const [kh, kw] = kshape;
        const [sh, sw] = pair(cfg.strides);
        const [dh, dw] = pair(cfg.dilationRate);
        const depth = cls === 'DepthwiseConv2D';
        const cout = depth ? kshape[2] * kshape[3] : kshape[3];
        const weight = depth ? depthwiseKernel(data(ws[0]), kshape) : convKernel(data(ws[0]), kshape);
        const bias = cfg.useBias ? data(ws[1]) : new Float32Array(cout);
        const aff: Affine = { weight, per: weight.length / cout, bias };
        const bn = onlyConsumerIsBn();
        if (bn) {
          foldInto(aff, bn);
          folded.add(bn.name);
        }
        const own = pads2d(cfg as { padding?: string }, h, w, kh, kw, sh, sw, dh, dw);
        const pads = own.map((p, k) => p + (ins[0].zeroPads?.[k] ?? 0));
        const wName = g.tensor(`${layer.name}/W`, [cout, depth ? 1 : cin, kh, kw], aff.weight);
        const bName = g.tensor(`${layer.name}/B`, [cout], aff.bias);
        const out = g.node('Conv', [ins[0].name, wName, bName], {
          kernel_shape: ints([kh, kw]), strides: ints([sh, sw]), dilations: ints([dh, dw]), pads: ints(pads), group: i(depth ? cin : 1),
        }, layer.name);
        const shape = [cout, outSize(h, kh, sh, pads[0] + pads[2], dh), outSize(w, kw, sw, pads[1] + pads[3], dw)];
        set({ name: out, shape });
        if (bn) values.set(bn.name, { name: out, shape });
        break;
      }
      case 'Dense': {
        const ws = layer.getWeights();
        const [din, dout] = ws[0].shape;
        if (ins[0].shape.length !== 1) throw new ActbenchError('EXPORT_UNSUPPORTED', `layer '${layer.name}' (Dense) on a rank-${ins[0].shape.length + 1} input: only [N, features] is supported`, { field: layer.name });
        // Gemm B is [K, N]; store it output-major for folding, then transpose back via transB
        const k = data(ws[0]);
        const weight = new Float32Array(k.length);
        for (let a = 0; a < din; a++) for (let b = 0; b < dout; b++) weight[b * din + a] = k[a * dout + b];
        const aff: Affine = { weight, per: din, bias: cfg.useBias ? data(ws[1]) : new Float32Array(dout) };
        const bn = onlyConsumerIsBn();
        if (bn) {
          foldInto(aff, bn);
          folded.add(bn.name);
        }
        const out = g.node('Gemm', [ins[0].name, g.tensor(`${layer.name}/W`, [dout, din], aff.weight), g.tensor(`${layer.name}/B`, [dout], aff.bias)], { transB: i(1) }, layer.name);
        set({ name: out, shape: [dout] });
        if (bn) values.set(bn.name, { name: out, shape: [dout] });
        if (cfg.activation && cfg.activation !== 'linear') throw new ActbenchError('EXPORT_UNSUPPORTED', `layer '${layer.name}' (Dense) has a built-in '${String(cfg.activation)}' activation; use an activation layer`, { field: layer.name });
        break;
      }
      case 'BatchNormalization': {
        if (folded.has(layer.name)) break;
        const { s, t } = bnAffine(layer);
        const c = ins[0].shape[0];
        const dims = ins[0].shape.length > 1 ? [c, ...ins[0].shape.slice(1).map(() => 1)] : [c];
        const out = g.node('Add', [g.node('Mul', [ins[0].name, g.tensor(`${layer.name}/scale`, dims, s)], {}, `${layer.name}/mul`), g.tensor(`${layer.name}/shift`, dims, t)], {}, layer.name);
        set({ name: out, shape: ins[0].shape });
        break;
      }
      case ActivationLayer.className: {
        const a = layer as ActivationLayer;
        const rank = ins[0].shape.length + 1;
        const params = a.paramValues();
        const out = `${layer.name}:out`;
        g.add(
          lowerActivation(a.activation, {
            opset,
            layout: rank === 4 ? 'NCHW' : 'NHWC',
            featureShape: ins[0].shape,
            input: ins[0].name,
            output: out,
            prefix: `${layer.name}/`,
            target: o.target,
            cudaSafe: o.cudaSafe,
            paramValues: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.values])),
          }),
        );
        activations[layer.name] = a.activation;
        activationIo[layer.name] = { input: ins[0].name, output: out };
        set({ name: out, shape: ins[0].shape });
        break;
      }
      case 'Add': {
        let acc = ins[0].name;
        for (const v of ins.slice(1)) acc = g.node('Add', [acc, v.name], {}, layer.name);
        set({ name: acc, shape: ins[0].shape });
        break;
      }
      case 'Flatten': {
        // TF flattens channels-last: go back to NHWC order first, so Dense weights need no permutation
        const v = ins[0];
        const src = v.shape.length === 3 ? g.node('Transpose', [v.name], { perm: ints([0, 2, 3, 1]) }, `${layer.name}/nhwc`) : v.name;
        set({ name: g.node('Flatten', [src], { axis: i(1) }, layer.name), shape: [v.shape.reduce((a, b) => a * b, 1)] });
        break;
      }
      case 'GlobalAveragePooling2D': {
        const pooled = g.node('GlobalAveragePool', [ins[0].name], {}, layer.name);
        set({ name: g.node('Flatten', [pooled], { axis: i(1) }, `${layer.name}/flatten`), shape: [ins[0].shape[0]] });
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const [c, h, w] = ins[0].shape;
        const [kh, kw] = pair(cfg.poolSize);
        const [sh, sw] = pair(cfg.strides ?? cfg.poolSize);
        const pads = pads2d(cfg as { padding?: string }, h, w, kh, kw, sh, sw);
        const op = cls === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
        const out = g.node(op, [ins[0].name], { kernel_shape: ints([kh, kw]), strides: ints([sh, sw]), pads: ints(pads) }, layer.name);
        set({ name: out, shape: [c, outSize(h, kh, sh, pads[0] + pads[2]), outSize(w, kw, sw, pads[1] + pads[3])] });
        break;
      }
      case 'ZeroPadding2D': {
        const [[t, b], [l, r]] = cfg.padding as [[number, number], [number, number]];
        const [c, h, w] = ins[0].shape;
        if (ins[0].zeroPads) throw new ActbenchError('EXPORT_UNSUPPORTED', `layer '${layer.name}' (ZeroPadding2D) pads the output of another ZeroPadding2D`, { field: layer.name });
        const cs = consumers.get(layer.name) ?? [];
        const foldable = cs.length > 0 && cs.every((l) => (l.getClassName() === 'Conv2D' || l.getClassName() === 'DepthwiseConv2D') && (l.getConfig() as { padding?: string }).padding === 'valid');
        if (foldable) {
          set({ name: ins[0].name, shape: [c, h, w], zeroPads: [t, l, b, r] });
        } else {
          const out = g.zeroPad(ins[0].name, [0, 0, t, l, 0, 0, b, r], `${layer.name}/pads`, layer.name);
          set({ name: out, shape: [c, h + t + b, w + l + r] });
        }
        break;
      }
      case TorchMaxPool.className: {
        const mp = layer as TorchMaxPool;
        const [c, h, w] = ins[0].shape;
        const k = mp.poolSize;
        const out = g.node('MaxPool', [ins[0].name], { kernel_shape: ints([k, k]), strides: ints([mp.strides, mp.strides]), pads: ints([mp.pad, mp.pad, mp.pad, mp.pad]) }, layer.name);
        set({ name: out, shape: [c, outSize(h, k, mp.strides, 2 * mp.pad), outSize(w, k, mp.strides, 2 * mp.pad)] });
        break;
      }
      case 'Reshape': {
        // only a feature vector → [1, 1, F] (a squeeze-excitation gate): [N, F] → [N, F, 1, 1] in NCHW
        const target = (cfg.targetShape as number[]) ?? [];
        const v = ins[0];
        if (v.shape.length !== 1 || target.length !== 3 || target[0] !== 1 || target[1] !== 1 || target[2] !== v.shape[0]) {
          throw new ActbenchError('EXPORT_UNSUPPORTED', `layer '${layer.name}' (Reshape) to [${target.join(', ')}] from [${v.shape.join(', ')}]: only [F] → [1, 1, F] exports`, { field: layer.name });
        }
        const out = g.node('Reshape', [v.name, g.int64s([-1, v.shape[0], 1, 1], `${layer.name}/shape`)], {}, layer.name);
        set({ name: out, shape: [v.shape[0], 1, 1] });
        break;
      }
      case 'Multiply': {
        // elementwise with numpy broadcasting, as TF.js's Multiply (a [C, 1, 1] gate on a [C, H, W] map)
        if (ins.some((v) => v.shape.length !== ins[0].shape.length)) throw new ActbenchError('EXPORT_UNSUPPORTED', `layer '${layer.name}' (Multiply) of inputs of different ranks`, { field: layer.name });
        let acc = ins[0].name;
        for (const v of ins.slice(1)) acc = g.node('Mul', [acc, v.name], {}, layer.name);
        set({ name: acc, shape: ins[0].shape.map((_, k) => Math.max(...ins.map((v) => v.shape[k]))) });
        break;
      }
      case 'Dropout':
      case SeededDropout.className:
        set(ins[0]); // inference: identity
        break;
      case ShortcutA.className: {
        const sc = layer as ShortcutA;
        const [c, h, w] = ins[0].shape;
        let v = ins[0].name;
        if (o.target === 'cpu' && (sc.stride > 1 || sc.outChannels > c)) {
          // one 1×1 convolution with an identity-and-zeros filter: onnxruntime's CPU provider runs the strided
          // Slice as a scalar gather (~1.6 ms per ResNet-20 shortcut at batch 128) and Pad outside the NCHWc
          // layout; the convolution stays blocked and the residual Add fuses into it. Exact for finite inputs (0·inf is NaN).
          const filter = new Float32Array(sc.outChannels * c);
          for (let k = 0; k < c; k++) filter[k * c + k] = 1;
          const wName = g.tensor(`${layer.name}/W`, [sc.outChannels, c, 1, 1], filter);
          structural.push(wName);
          v = g.node('Conv', [v, wName], { kernel_shape: ints([1, 1]), strides: ints([sc.stride, sc.stride]) }, `${layer.name}/subsample`);
        } else {
          if (sc.stride > 1) {
            v = g.node('Slice', [v, g.int64s([0, 0], `${layer.name}/starts`), g.int64s([h, w], `${layer.name}/ends`), g.int64s([2, 3], `${layer.name}/axes`), g.int64s([sc.stride, sc.stride], `${layer.name}/steps`)], {}, `${layer.name}/subsample`);
          }
          if (sc.outChannels > c) v = g.zeroPad(v, [0, 0, 0, 0, 0, sc.outChannels - c, 0, 0], `${layer.name}/pads`, `${layer.name}/pad`);
        }
        set({ name: v, shape: [sc.outChannels, Math.ceil(h / sc.stride), Math.ceil(w / sc.stride)] });
        break;
      }
      default:
        throw new ActbenchError('EXPORT_UNSUPPORTED', `layer '${layer.name}' of class ${cls} has no ONNX export`, { field: layer.name });
    }
  }

  const last = values.get(model.outputLayers[0].name);
  if (!last) throw new Error('internal: output not exported');
  const outputName = 'logits';
  g.identity(last.name, outputName, 'output');
  const graph = makeGraph({
    name: model.name,
    fragments: [g.fragment()],
    inputs: [makeValueInfo(inputName, inputDims, o.preprocess ? 'uint8' : 'float32')],
    outputs: [makeValueInfo(outputName, ['N', ...last.shape])],
  });
  const metadata: Record<string, string> = {
    'actbench.activations': JSON.stringify(activations),
    'actbench.activation_io': JSON.stringify(activationIo),
    'actbench.layout': 'NCHW',
    'actbench.target': o.target ?? 'any',
    // initializers that are part of a lowering, not weights: parameter counts leave them out (bench/memory.ts)
    ...(structural.length ? { 'actbench.structural_initializers': JSON.stringify(structural) } : {}),
    'actbench.input': o.preprocess ? 'uint8 NHWC, normalised inside the graph' : 'float32 NCHW, normalised',
    ...(o.preprocess ? { 'actbench.normalisation': JSON.stringify(o.preprocess) } : {}),
    ...(o.metadata ?? {}),
  };
  const bytes = encodeModel(makeModel(graph, { opset, metadata, docString: `actbench export of ${model.name}` }));
  return { bytes, inputName, outputName, inputShape: inputDims, nodeCount: g.nodes.length, foldedBatchNorms: folded.size };
}
