/** Native Conv2D, FusedConv2D, their two backprops, and depthwise convolution with its backprops (NHWC). */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { applyActivation } from './elementwise.js';
import { alloc, f32, output, size, type KernelArgs, type KernelImpl } from './util.js';

type ConvInfo = tf.backend_util.Conv2DInfo;

function dims(c: ConvInfo): number[] {
  return [
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left,
  ];
}

function convInfo(xShape: number[], filterShape: number[], a: tf.NamedAttrMap, depthwise = false): ConvInfo | null {
  if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC' && a.dataFormat !== 'channelsLast') return null;
  const dil = a.dilations ?? 1;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    a.strides as [number, number], dil as [number, number], a.pad as 'same', a.dimRoundingMode as 'round', depthwise,
  );
}

const conv2d: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, filter } = inputs;
  const xv = f32(backend, x), wv = f32(backend, filter);
  const c = xv && wv ? convInfo(x.shape, filter.shape, attrs) : null;
  if (!c || !xv || !wv) return null;
  const y = alloc(size(c.outShape));
  addon.conv2d(xv, wv, null, y, dims(c));
  return output(backend, c.outShape, y);
};

/** conv + bias + activation in one kernel (the layers API's path); prelu and odd bias shapes fall back */
const fusedConv2d: KernelImpl = (args, addon) => {
  const { inputs, backend, attrs = {} } = args;
  const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const act = (attrs.activation as string | undefined) ?? 'linear';
  if (!x || !filter || preluActivationWeights || act === 'prelu') return null;
  const xv = f32(backend, x), wv = f32(backend, filter);
  const bv = bias ? f32(backend, bias) : null;
  const c = xv && wv ? convInfo(x.shape, filter.shape, attrs) : null;
  if (!c || !xv || !wv || (bias && (!bv || bv.length !== c.outChannels))) return null;
  const y = alloc(size(c.outShape));
  addon.conv2d(xv, wv, bv, y, dims(c));
  if (!applyActivation(addon, y, act, Number(attrs.leakyreluAlpha ?? 0.2))) return null;
  return output(backend, c.outShape, y);
};

const conv2dBackpropInput: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const { dy, filter } = inputs;
  const dv = f32(backend, dy), wv = f32(backend, filter);
  const inShape = attrs.inputShape as number[];
  const c = dv && wv ? convInfo(inShape, filter.shape, attrs) : null;
  if (!c || !dv || !wv) return null;
  const dx = alloc(size(inShape));
  addon.conv2dBackpropInput(dv, wv, dx, dims(c));
  return output(backend, [...inShape], dx);
};

const conv2dBackpropFilter: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, dy } = inputs;
  const xv = f32(backend, x), dv = f32(backend, dy);
  const fShape = attrs.filterShape as number[];
  const c = xv && dv ? convInfo(x.shape, fShape, attrs) : null;
  if (!c || !xv || !dv) return null;
  const dw = alloc(size(fShape));
  addon.conv2dBackpropFilter(xv, dv, dw, dims(c));
  return output(backend, [...fShape], dw);
};

const depthwise: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, filter } = inputs;
  const xv = f32(backend, x), wv = f32(backend, filter);
  const c = xv && wv ? convInfo(x.shape, filter.shape, attrs, true) : null;
  if (!c || !xv || !wv) return null;
  const y = alloc(size(c.outShape));
  addon.depthwise(xv, wv, y, dims(c), filter.shape[3]);
  return output(backend, c.outShape, y);
};

const fusedDepthwise: KernelImpl = (args, addon) => {
  const { inputs, backend, attrs = {} } = args;
  const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const act = (attrs.activation as string | undefined) ?? 'linear';
  if (!x || !filter || preluActivationWeights || act === 'prelu') return null;
  const xv = f32(backend, x), wv = f32(backend, filter);
  const bv = bias ? f32(backend, bias) : null;
  const c = xv && wv ? convInfo(x.shape, filter.shape, attrs, true) : null;
  if (!c || !xv || !wv || (bias && (!bv || bv.length !== c.outChannels))) return null;
  const y = alloc(size(c.outShape));
  addon.depthwise(xv, wv, y, dims(c), filter.shape[3]);
  if (bv) addon.binary(0, y, c.outShape, bv, [bv.length], y, c.outShape);
  if (!applyActivation(addon, y, act, Number(attrs.leakyreluAlpha ?? 0.2))) return null;
  return output(backend, c.outShape, y);
};

const depthwiseBackpropInput: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const { dy, filter } = inputs;
  const dv = f32(backend, dy), wv = f32(backend, filter);
  const inShape = attrs.inputShape as number[];
  const c = dv && wv ? convInfo(inShape, filter.shape, attrs, true) : null;
  if (!c || !dv || !wv) return null;
  const dx = alloc(size(inShape));
  addon.depthwiseBackpropInput(dv, wv, dx, dims(c), filter.shape[3]);
  return output(backend, [...inShape], dx);
};

const depthwiseBackpropFilter: KernelImpl = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, dy } = inputs;
  const xv = f32(backend, x), dv = f32(backend, dy);
  const fShape = attrs.filterShape as number[];
  const c = xv && dv ? convInfo(x.shape, fShape, attrs, true) : null;
  if (!c || !xv || !dv) return null;
  const dw = alloc(size(fShape));
  addon.depthwiseBackpropFilter(xv, dv, dw, dims(c), fShape[3]);
  return output(backend, [...fShape], dw);
};

export const CONV_KERNELS: Record<string, KernelImpl> = {
  Conv2D: conv2d,
  FusedConv2D: fusedConv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  DepthwiseConv2dNative: depthwise,
  FusedDepthwiseConv2D: fusedDepthwise,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
};

export type { KernelArgs, NativeAddon };
