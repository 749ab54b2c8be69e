/**
 * The model zoo: one name → one builder (after timm's registry); every builder takes the same options.
 * `createModel('resnet20', { act, numClasses, inputShape })` is the only entry.
 *
 * An activation given as a spec string is resolved here with the model's own defaults for constants the
 * spec leaves unset (`resolveModelActivation`): LayerAct's α is 1e-5 in the catalogue (its CIFAR setting)
 * and 0.1 on the ImageNet-scale models, as the LayerAct paper trains them. The resolved constant is part of
 * the definition every layer, manifest and ONNX export records, so the label reads `la_silu:alpha=0.1`.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveActivation, type ActivationDef } from '../acts/define.js';
import { ActbenchError, closeMatches } from '../errors.js';
import { Namer, type BlockCtx } from './layers.js';
import { mobilenetV3Small } from './mobilenet.js';
import { imagenetResnet, preactResnet, resnetV1, wideResnet } from './resnet.js';
import { mlp, mlp512, mobilenetV2, smallCnn } from './small.js';

/** The data scale an architecture is built for (ImageNet-scale models are left out of the small-input test loops). */
export type ModelScale = 'mnist' | 'cifar' | 'imagenet';

export interface ModelOptions {
  /** a resolved definition (used as given), or a spec such as 'la_silu' (resolved with the model's defaults) */
  act: ActivationDef | string;
  numClasses: number;
  /** H, W, C (channels-last, as TF.js trains) */
  inputShape: [number, number, number];
  /** channel-width multiplier */
  width?: number;
  /** dropout rate where the architecture has one (WRN) */
  dropout?: number;
  seed?: number;
}

type Builder = (ctx: BlockCtx, x: tf.SymbolicTensor, o: ModelOptions) => tf.SymbolicTensor;

interface ZooEntry {
  name: string;
  description: string;
  reference: string;
  /** the input size the architecture is meant for */
  defaultInput: [number, number, number];
  scale: ModelScale;
  /** whether --width scales it (WRN's width is the K of its name) and whether it has dropout */
  scalable: boolean;
  hasDropout: boolean;
  /** per catalogue activation: constants this model uses when the spec sets none */
  activationDefaults: Record<string, Record<string, number>>;
  build: Builder;
}

/** LayerAct's α at ImageNet scale (LayerAct paper, ImageNet experiments; its CIFAR setting 1e-5 is the catalogue's) */
export const IMAGENET_ACTIVATION_DEFAULTS: Readonly<Record<string, Record<string, number>>> = {
  la_silu: { alpha: 0.1 },
  la_hardsilu: { alpha: 0.1 },
};

const zoo = new Map<string, ZooEntry>();
type Registration = Omit<ZooEntry, 'scalable' | 'hasDropout' | 'scale' | 'activationDefaults'> & Partial<Pick<ZooEntry, 'scale' | 'hasDropout'>>;
function register(e: Registration): void {
  const scale = e.scale ?? 'cifar';
  zoo.set(e.name, { scalable: true, hasDropout: false, ...e, scale, activationDefaults: scale === 'imagenet' ? { ...IMAGENET_ACTIVATION_DEFAULTS } : {} });
}

for (const depth of [20, 32, 44, 56, 110]) {
  register({
    name: `resnet${depth}`,
    description: `CIFAR ResNet v1, ${(depth - 2) / 6} basic blocks per stage, option-A shortcuts`,
    reference: 'He et al. 2016, "Deep Residual Learning"; LayerAct ResNet_small.py',
    defaultInput: [32, 32, 3],
    build: (ctx, x, o) => resnetV1(ctx, x, depth, o.numClasses),
  });
}
for (const depth of [56, 110, 164]) {
  register({
    name: `preact_resnet${depth}`,
    description: `pre-activation ResNet v2, ${depth >= 164 ? 'bottleneck' : 'basic'} blocks`,
    reference: 'He et al. 2016, "Identity Mappings in Deep Residual Networks"; PANGAEA',
    defaultInput: [32, 32, 3],
    build: (ctx, x, o) => preactResnet(ctx, x, depth, o.numClasses),
  });
}
register({
  name: 'mobilenetv2',
  description: 'MobileNetV2, CIFAR variant (inverted residuals, linear bottlenecks)',
  reference: 'Sandler et al. 2018, "MobileNetV2"',
  defaultInput: [32, 32, 3],
  build: (ctx, x, o) => mobilenetV2(ctx, x, o.numClasses),
});
for (const depth of [18, 50, 101]) {
  register({
    name: `resnet${depth}`,
    description: `ImageNet ResNet-${depth} as torchvision (7×7/2 stem, max-pool, ${depth >= 50 ? 'bottleneck blocks ×4' : 'basic blocks'}, 224×224); LayerAct α = 0.1`,
    reference: 'He et al. 2016, "Deep Residual Learning"; torchvision.models.resnet; LayerAct ImageNet',
    defaultInput: [224, 224, 3],
    scale: 'imagenet',
    build: (ctx, x, o) => imagenetResnet(ctx, x, depth, o.numClasses),
  });
}
register({
  name: 'mobilenetv3_small',
  description: 'MobileNetV3-Small as torchvision (SE with ReLU/hard-sigmoid gates kept; every ReLU/hard-swish is the activation; --dropout before the last fc, torchvision 0.2); LayerAct α = 0.1',
  reference: 'Howard et al. 2019, "Searching for MobileNetV3"; torchvision.models.mobilenet_v3_small',
  defaultInput: [224, 224, 3],
  scale: 'imagenet',
  hasDropout: true,
  build: (ctx, x, o) => mobilenetV3Small(ctx, x, o.numClasses, o.dropout ?? 0),
});
register({
  name: 'cnn_small',
  description: 'conv32 → conv64/2 → max-pool → dense128, BN before every activation (28×28 data)',
  reference: 'actbench',
  defaultInput: [28, 28, 1],
  scale: 'mnist',
  build: (ctx, x, o) => smallCnn(ctx, x, o.numClasses),
});
register({
  name: 'mlp',
  description: 'flatten → dense256 → dense128, BN before every activation',
  reference: 'actbench',
  defaultInput: [28, 28, 1],
  scale: 'mnist',
  build: (ctx, x, o) => mlp(ctx, x, o.numClasses),
});

register({ name: 'mlp512', description: 'flatten → dense512 → activation → dense, no normalisation', reference: 'Yoon & Lim 2025 (LayerAct), MNIST analysis network', defaultInput: [28, 28, 1], build: (ctx, x, o) => mlp512(ctx, x, o.numClasses) });

const WRN = /^wrn_(\d+)_(\d+)$/;

function entry(name: string): ZooEntry {
  const hit = zoo.get(name);
  if (hit) return hit;
  const m = WRN.exec(name);
  if (m) {
    const [depth, k] = [Number(m[1]), Number(m[2])];
    if ((depth - 4) % 6 !== 0 || k < 1) throw new ActbenchError('MODEL_BAD_WRN', `wrn_D_K needs D = 6n+4 and K ≥ 1 (e.g. wrn_10_4, wrn_16_8), got ${name}`, { field: 'model' });
    return {
      name,
      description: `Wide ResNet, depth ${depth}, width ×${k}`,
      reference: 'Zagoruyko & Komodakis 2016, "Wide Residual Networks"; PANGAEA',
      defaultInput: [32, 32, 3],
      scale: 'cifar',
      scalable: false,
      hasDropout: true,
      activationDefaults: {},
      build: (ctx, x, o) => wideResnet(ctx, x, depth, k, o.numClasses, o.dropout ?? 0),
    };
  }
  const close = closeMatches(name, [...modelNames(), 'wrn_10_4', 'wrn_16_8']);
  throw new ActbenchError('MODEL_UNKNOWN', `unknown model '${name}'${close.length ? ` (did you mean ${close.join(', ')}?)` : ''}; see 'actbench models'`, { field: 'model' });
}

/** Every registered name (wrn_D_K as two examples); `scale` keeps only the models built for that data scale. */
export function modelNames(o: { scale?: ModelScale | ModelScale[] } = {}): string[] {
  const all = [...zoo.keys(), 'wrn_10_4', 'wrn_16_8'];
  if (o.scale === undefined) return all;
  const want = new Set(Array.isArray(o.scale) ? o.scale : [o.scale]);
  return all.filter((n) => want.has(entry(n).scale));
}

/**
 * The activation a model is built with: a definition is used as given; a spec is resolved with the model's
 * defaults for the constants it does not set (`la_silu` on resnet50 → α = 0.1; `la_silu:alpha=1e-5` stays).
 * `applied` lists the defaults that were used, for the log line that says so.
 */
export function resolveModelActivation(model: string, spec: string | ActivationDef): { def: ActivationDef; applied: Record<string, number> } {
  const plain = resolveActivation(spec);
  if (typeof spec !== 'string') return { def: plain, applied: {} };
  const defaults = entry(model).activationDefaults[plain.name];
  if (!defaults) return { def: plain, applied: {} };
  const def = resolveActivation(spec, { defaults });
  const applied = Object.fromEntries(Object.entries(defaults).filter(([k, v]) => Object.is(def.constants[k], v) && !Object.is(plain.constants[k], v)));
  return { def, applied };
}

export function describeModel(name: string): Omit<ZooEntry, 'build'> {
  const { build: _b, ...rest } = entry(name);
  return rest;
}

/**
 * Build a model. Every initialiser and dropout layer is seeded from `o.seed` (default 0; every value in
 * [0, 2³²−1] is a real, reproducible seed). Refused with coded errors before any weight is allocated:
 * a width that is not a positive finite number or leaves a layer without channels, --width on a model it
 * does not scale, dropout outside [0, 1) or on a model without dropout, a weight over 2 GiB.
 */
export function createModel(name: string, o: ModelOptions): tf.LayersModel {
  const e = entry(name);
  const width = o.width ?? 1;
  const dropout = o.dropout ?? 0;
  if (!(Number.isFinite(width) && width > 0)) throw new ActbenchError('MODEL_BAD_WIDTH', `--width must be a finite number > 0, got ${width}`, { field: 'width', exit: 2 });
  if (!e.scalable && width !== 1) {
    throw new ActbenchError('MODEL_BAD_WIDTH', `${name} takes no --width (its width is the K of wrn_D_K); got --width ${width}`, { field: 'width', exit: 2 });
  }
  if (!(dropout >= 0 && dropout < 1)) throw new ActbenchError('MODEL_BAD_DROPOUT', `--dropout must be in [0, 1), got ${dropout}`, { field: 'dropout', exit: 2 });
  if (!e.hasDropout && dropout !== 0) {
    throw new ActbenchError('MODEL_BAD_DROPOUT', `${name} has no dropout layer (only the wide ResNets wrn_D_K and mobilenetv3_small do); got --dropout ${dropout}`, { field: 'dropout', exit: 2 });
  }
  if (!Number.isInteger(o.numClasses) || o.numClasses < 2) throw new ActbenchError('MODEL_BAD_CLASSES', `a classifier needs at least 2 classes, got ${o.numClasses}`, { field: 'classes' });
  const act = resolveModelActivation(name, o.act).def;
  const ctx: BlockCtx = { act, names: new Namer(), seed: o.seed ?? 0, seeded: 0, width };
  const input = tf.input({ shape: o.inputShape, name: 'input' });
  const logits = e.build(ctx, input, { ...o, act, width, dropout });
  return tf.model({ inputs: input, outputs: logits, name });
}

/** Multiply-accumulate count of one forward pass (convolutions and dense layers). */
export function countMacs(model: tf.LayersModel): number {
  let macs = 0;
  for (const layer of model.layers) {
    const out = layer.outputShape as number[];
    const cls = layer.getClassName();
    if (cls === 'Conv2D') {
      const [kh, kw, cin, cout] = layer.getWeights()[0].shape;
      macs += out[1] * out[2] * kh * kw * cin * cout;
    } else if (cls === 'DepthwiseConv2D') {
      const [kh, kw, cin, mult] = layer.getWeights()[0].shape;
      macs += out[1] * out[2] * kh * kw * cin * mult;
    } else if (cls === 'Dense') {
      const [din, dout] = layer.getWeights()[0].shape;
      macs += din * dout;
    }
  }
  return macs;
}
