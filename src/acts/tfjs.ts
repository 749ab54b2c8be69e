/**
 * TF.js renderer: IR → a differentiable TF.js function, and the `ActivationLayer` that trains its
 * parameters and serialises its definition. Training in TF.js is always channels-last (NHWC).
 *
 * Gradients must stay finite where the forward is finite: comparisons cannot sit on the differentiated
 * path in TF.js (activations.md §6.17), so guarded ops (safe division, reciprocal, where) use
 * tf.customGrad with masked gradients, and unselected branches never see inf/NaN.
 */
import * as tf from '@tensorflow/tfjs';
import { compileActivation, type ActivationDef, type CompiledActivation } from './define.js';
import type { Expr, ParamDef } from './ir.js';
import { OPS, type PrimitiveOp } from './ops.js';
import { lowerMacros } from './rewrite.js';

export type Layout = 'NHWC' | 'NCHW';

interface Ctx {
  layout: Layout;
  rank: number;
}

type Kernel = (args: tf.Tensor[], attrs: readonly number[], ctx: Ctx) => tf.Tensor;

/** Sum a broadcast gradient back to the shape of the input it belongs to. */
function reduceTo(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? g.sum(axes, true) : g;
  return s.reshape(shape);
}

type GradResult = { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };
/** tf.customGrad with the tensor arguments typed (its own typing mixes them with the save function). */
function customGrad<A extends tf.Tensor[]>(f: (...args: [...A, tf.GradSaveFunc]) => GradResult): (...args: A) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: A) => tf.Tensor;
}

const safeRecip = customGrad<[tf.Tensor]>((x, save) => {
  const nz = tf.notEqual(x, 0);
  const r = tf.where(nz, tf.reciprocal(tf.where(nz, x, tf.onesLike(x))), tf.zerosLike(x));
  save([x, r]);
  return {
    value: r,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [, rs] = saved;
      return [tf.neg(dy.mul(rs.square()))]; // −1/x² where x ≠ 0, 0 at 0 (r is 0 there)
    },
  };
});

const safeDiv = customGrad<[tf.Tensor, tf.Tensor]>((a, b, save) => {
  const nz = tf.notEqual(b, 0);
  const safe = tf.where(nz, b, tf.onesLike(b));
  const rb = tf.where(nz, tf.reciprocal(safe), tf.zerosLike(b));
  // a/b (one rounding, as ONNX's Div) masked by a select, not a·(1/b): ±inf·0 would be NaN where ONNX gives 0
  const q = tf.div(a, safe);
  const value = tf.where(nz.broadcastTo(q.shape), q, tf.zerosLike(q));
  save([a, b, rb]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [as, bs, r] = saved;
      // (dy·a·r)·r rather than dy·a·r²: r² overflows where a/b itself is fine (a, b both tiny)
      return [reduceTo(dy.mul(r), as.shape), reduceTo(tf.neg(dy.mul(as).mul(r).mul(r)), bs.shape)];
    },
  };
});

const whereGt = customGrad<[tf.Tensor, tf.Tensor, tf.Tensor]>((c, a, b, save) => {
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(
    tf.broadcast_util.assertAndGetBroadcastShape(c.shape, a.shape),
    b.shape,
  );
  const cond = tf.greater(c, 0).broadcastTo(shape);
  const value = tf.where(cond, a.broadcastTo(shape), b.broadcastTo(shape));
  save([c, a, b, tf.cast(cond, 'float32')]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [cs, as, bs, m] = saved;
      return [tf.zeros(cs.shape), reduceTo(dy.mul(m), as.shape), reduceTo(dy.mul(tf.sub(1, m)), bs.shape)];
    },
  };
});

// asin'(x) = 1/√(1−x²) is infinite at ±1; the clamp keeps training finite where inputs hit the bound
// exactly (VeLU clips b₂x to [−1, 1]).
const asinClamped = customGrad<[tf.Tensor]>((x, save) => {
  save([x]);
  return {
    value: tf.asin(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [dy.div(tf.sqrt(tf.maximum(tf.sub(1, saved[0].square()), 1e-12)))],
  };
});

/**
 * TF.js's Maximum/Minimum gradients do not sum back over broadcast dimensions (a per-channel parameter
 * gets a full-shape gradient); broadcasting explicitly first lets BroadcastTo's gradient do it.
 */
function broadcastPair(a: tf.Tensor, b: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const fit = (t: tf.Tensor) => (t.shape.length === shape.length && t.shape.every((d, k) => d === shape[k]) ? t : t.broadcastTo(shape));
  return [fit(a), fit(b)];
}

/** Safe power: xʸ where x > 0, else 0 (matches the ONNX Where/Greater form). */
function safePow(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const m = tf.step(a, 0); // 1 where a > 0
  const base = tf.add(tf.mul(a, m), tf.sub(1, m));
  return tf.mul(tf.pow(base, b), m);
}

const allAxes = (ctx: Ctx) => Array.from({ length: ctx.rank - 1 }, (_, i) => i + 1);
const channelAxis = (ctx: Ctx) => (ctx.layout === 'NHWC' || ctx.rank === 2 ? ctx.rank - 1 : 1);

const KERNELS: Record<PrimitiveOp, Kernel> = {
  neg: ([x]) => tf.neg(x),
  abs: ([x]) => tf.abs(x),
  recip: ([x]) => safeRecip(x),
  square: ([x]) => tf.square(x),
  exp: ([x]) => tf.exp(x),
  expm1: ([x]) => tf.expm1(x),
  erf: ([x]) => tf.erf(x),
  sinh: ([x]) => tf.sinh(x),
  cosh: ([x]) => tf.cosh(x),
  tanh: ([x]) => tf.tanh(x),
  asinh: ([x]) => tf.asinh(x),
  atan: ([x]) => tf.atan(x),
  asin: ([x]) => asinClamped(x),
  sin: ([x]) => tf.sin(x),
  cos: ([x]) => tf.cos(x),
  sigmoid: ([x]) => tf.sigmoid(x),
  softplus: ([x]) => tf.softplus(x),
  relu: ([x]) => tf.relu(x),
  elu: ([x]) => tf.elu(x),
  selu: ([x]) => tf.selu(x),
  sqrt: ([x]) => tf.sqrt(x),
  log: ([x]) => tf.log(x),
  sign: ([x]) => tf.sign(x),
  leaky_relu: ([x], [slope]) => tf.leakyRelu(x, slope),
  clip: ([x], [lo, hi]) => tf.clipByValue(x, lo, hi),
  add: ([a, b]) => tf.add(a, b),
  sub: ([a, b]) => tf.sub(a, b),
  mul: ([a, b]) => tf.mul(a, b),
  div: ([a, b]) => safeDiv(a, b),
  fdiv: ([a, b]) => tf.div(a, b),
  pow: ([a, b]) => safePow(a, b),
  max: ([a, b]) => tf.maximum(...broadcastPair(a, b)),
  min: ([a, b]) => tf.minimum(...broadcastPair(a, b)),
  prelu: ([x, a]) => tf.add(tf.relu(x), tf.mul(a, tf.neg(tf.relu(tf.neg(x))))),
  where_gt: ([c, a, b]) => whereGt(c, a, b),
  lmean: ([x], _, ctx) => tf.mean(x, allAxes(ctx), true),
  cmean: ([x], _, ctx) => tf.mean(x, channelAxis(ctx), true),
  lnorm: ([x], [eps], ctx) => {
    // LayerAct's reference code: unbiased variance over all non-batch axes, eps inside the square root;
    // μ and σ are not detached, so autodiff gives the published backward.
    const axes = allAxes(ctx);
    const d = x.shape.slice(1).reduce((p, q) => p * q, 1);
    const centred = tf.sub(x, tf.mean(x, axes, true));
    const v = tf.sum(tf.square(centred), axes, true).div(Math.max(d - 1, 1));
    return tf.div(centred, tf.sqrt(tf.add(v, eps)));
  },
};

/** TF.js prints every primitive; macro ops are expanded (no native TF.js forms are needed). */
export function tfjsIr(ir: Expr): Expr {
  return lowerMacros(ir, () => false);
}

/**
 * Evaluate a compiled IR on x (NHWC unless told otherwise). `params` hold the trainable tensors.
 * Call inside tf.tidy; intermediate tensors are shared between uses of the same sub-expression.
 */
export function evaluateTfjs(
  ir: Expr,
  x: tf.Tensor,
  params: Readonly<Record<string, tf.Tensor>>,
  layout: Layout = 'NHWC',
): tf.Tensor {
  const ctx: Ctx = { layout, rank: x.rank };
  const memo = new Map<Expr, tf.Tensor>();
  const ev = (e: Expr): tf.Tensor => {
    const hit = memo.get(e);
    if (hit) return hit;
    let out: tf.Tensor;
    switch (e.kind) {
      case 'input':
        out = x;
        break;
      case 'const':
        out = tf.scalar(e.value);
        break;
      case 'param': {
        const p = params[e.name];
        if (!p) throw new Error(`no value for parameter '${e.name}'`);
        out = p;
        break;
      }
      case 'call': {
        const k = KERNELS[e.op as PrimitiveOp];
        if (!k) throw new Error(`op '${e.op}' has no TF.js kernel (${OPS.has(e.op) ? 'macro not expanded' : 'unknown op'})`);
        out = k(e.args.map(ev), e.attrs, ctx);
        break;
      }
    }
    memo.set(e, out);
    return out;
  };
  const y = ev(ir);
  // a function that does not depend on x (e.g. PANGAEA's `one`) still has x's shape
  return y.shape.length === x.shape.length && y.shape.every((d, i) => d === x.shape[i]) ? y : tf.add(y, tf.zerosLike(x));
}

/** TF.js shape of a parameter for a (channels-last) input shape without the batch dimension. */
export function paramShape(p: ParamDef, featureShape: readonly number[]): number[] {
  switch (p.shape) {
    case 'scalar':
      return [1];
    case 'channel':
      return [featureShape[featureShape.length - 1]];
    case 'element':
      return [...featureShape];
  }
}

/** W₂²(A, N(0,1)) = mean(A)² + (std(A) − 1)² over the whole tensor (VeLU's training term, before λ). */
export function w2NormalLoss(a: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(a);
    return tf.add(tf.square(mean), tf.square(tf.sub(tf.sqrt(variance), 1))) as tf.Scalar;
  });
}

export interface ActivationLayerArgs {
  activation: ActivationDef;
  name?: string;
  trainable?: boolean;
  inputShape?: number[];
  batchInputShape?: number[];
}

/**
 * A Keras-style layer computing any ActivationDef, with trainable parameters. Its config stores the
 * definition, so a saved model reloads the same function. During training it keeps the latest
 * auxiliary loss (VeLU's W₂² term) for the training step to add.
 */
export class ActivationLayer extends tf.layers.Layer {
  static readonly className = 'ActbenchActivation';
  readonly activation: ActivationDef;
  private readonly compiled: CompiledActivation;
  private readonly forwardIr: Expr;
  private readonly auxIr?: Expr;
  private paramWeights: Record<string, tf.LayerVariable> = {};
  /** weighted auxiliary loss of the last training call (kept alive until read with takeAuxLoss) */
  private pendingAux: tf.Scalar | null = null;

  constructor(args: ActivationLayerArgs) {
    super(args);
    this.activation = args.activation;
    this.compiled = compileActivation(args.activation);
    this.forwardIr = tfjsIr(this.compiled.ir);
    if (this.compiled.auxIr) this.auxIr = tfjsIr(this.compiled.auxIr);
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const feature = shape.slice(1).map((d) => {
      if (d === null) throw new Error(`ActivationLayer '${this.name}': non-batch dimensions must be known to create parameters`);
      return d;
    });
    for (const name of this.compiled.paramNames) {
      const p = this.activation.params[name];
      this.paramWeights[name] = this.addWeight(name, paramShape(p, feature), 'float32', tf.initializers.constant({ value: p.init }));
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const params: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(this.paramWeights)) params[k] = v.read();
    if (kwargs.training && this.auxIr && this.activation.aux) {
      const aux = tf.mul(w2NormalLoss(evaluateTfjs(this.auxIr, x, params)), this.activation.aux.weight) as tf.Scalar;
      this.pendingAux?.dispose();
      this.pendingAux = tf.keep(aux);
    }
    return evaluateTfjs(this.forwardIr, x, params);
  }

  /** The weighted auxiliary loss of the last training call, or null; the caller owns the tensor. */
  takeAuxLoss(): tf.Scalar | null {
    const a = this.pendingAux;
    this.pendingAux = null;
    return a;
  }

  /** Current parameter values (channels-last shapes) for export. */
  paramValues(): Record<string, { shape: number[]; values: Float32Array }> {
    const out: Record<string, { shape: number[]; values: Float32Array }> = {};
    for (const [k, v] of Object.entries(this.paramWeights)) {
      out[k] = { shape: v.shape as number[], values: v.read().dataSync() as Float32Array };
    }
    return out;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  // tfjs-layers rewrites config keys and every string value between snake_case and camelCase when it
  // (de)serialises (la_silu → laSilu), except a string under the key 'name'; the definition travels there
  // as JSON so it comes back unchanged.
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), activation: { name: JSON.stringify(this.activation) } };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const activation = JSON.parse(String((config.activation as { name: string }).name)) as ActivationDef;
    return new cls({ ...(config as unknown as ActivationLayerArgs), activation });
  }
}
tf.serialization.registerClass(ActivationLayer);

export function activationLayer(spec: ActivationDef, args: Omit<ActivationLayerArgs, 'activation'> = {}): ActivationLayer {
  return new ActivationLayer({ ...args, activation: spec });
}
