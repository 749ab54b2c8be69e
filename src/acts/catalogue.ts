/**
 * The catalogue: every named activation, written once in the expression language, with its reference,
 * defaults and constants. Semantics follow shared/specs/activations.md (the papers' reference code
 * where paper and code differ).
 */
import type { ParamDef } from './ir.js';
import { FINITE, POSITIVE, type Domain } from './validate.js';

export type Family = 'classic' | 'layeract' | 'velu' | 'pangaea';

/** VeLU's training-only term: weight · W₂²(A, N(0,1)) = weight · (mean(A)² + (std(A) − 1)²) over the whole tensor. */
export interface AuxLossDef {
  kind: 'w2_normal';
  weight: number;
  /** a let-bound name in the expression whose value the loss is computed on */
  of: string;
}

export interface CatalogueEntry {
  name: string;
  aliases?: readonly string[];
  family: Family;
  /** definition in the expression language (see parse.ts) */
  expr: string;
  formula: string;
  constants?: Readonly<Record<string, number>>;
  /** the values each constant may take (every constant has one; checked by validate.ts where a spec is resolved) */
  domains?: Readonly<Record<string, Domain>>;
  params?: Readonly<Record<string, ParamDef>>;
  aux?: AuxLossDef;
  reference: string;
  notes?: string;
}

const LAYERACT = 'Yoon & Lim, "LayerAct: Advanced Activation Mechanism for Robust Inference of CNNs" (AAAI 2025); reference code KihyukYoon/LayerAct';
const PANGAEA = 'Bingham & Miikkulainen, "Discovering Parametric Activation Functions" (PANGAEA, Neural Networks 2022), Table 2';
const VELU = 'Shakarami et al., "VeLU: Variance-enhanced Learning Unit for Deep Neural Networks" (arXiv 2504.15051); reference code AshkanShakarami/VeLU';
const pc = (init = 1): ParamDef => ({ init, shape: 'channel' });

export const CATALOGUE: readonly CatalogueEntry[] = [
  { name: 'relu', family: 'classic', expr: 'relu(x)', formula: 'max(x, 0)', reference: 'Nair & Hinton 2010; ONNX Relu' },
  { name: 'relu6', family: 'classic', expr: 'relu6(x)', formula: 'min(max(x, 0), 6)', reference: 'Krizhevsky 2010; LayerAct models/builder.py option relu6' },
  {
    name: 'leaky_relu', aliases: ['leakyrelu', 'lrelu'], family: 'classic', expr: 'leaky_relu(x, slope)',
    formula: 'x if x ≥ 0 else 0.01·x', constants: { slope: 0.01 }, domains: { slope: FINITE },
    reference: 'Maas et al. 2013; slope 0.01 as PyTorch/ONNX and the LayerAct and PANGAEA baselines',
    notes: 'TF.js op default is 0.2 and the tfjs-layers default 0.3; actbench always passes 0.01',
  },
  {
    name: 'prelu', family: 'classic', expr: 'prelu(x, a)', formula: 'x if x ≥ 0 else a·x, one a per layer',
    params: { a: { init: 0.25, shape: 'scalar' } },
    reference: 'He et al. 2015; PyTorch default (one shared slope, init 0.25) as in the LayerAct baseline',
  },
  {
    name: 'prelu_channel', family: 'classic', expr: 'prelu(x, a)', formula: 'x if x ≥ 0 else a_c·x, one a per channel',
    params: { a: { init: 0.25, shape: 'channel' } }, reference: 'He et al. 2015 (channel-wise variant)',
  },
  { name: 'elu', family: 'classic', expr: 'elu(x)', formula: 'x if x > 0 else eˣ − 1 (α = 1)', reference: 'Clevert et al. 2016' },
  { name: 'selu', family: 'classic', expr: 'selu(x)', formula: 'λ·(x if x > 0 else α(eˣ − 1))', reference: 'Klambauer et al. 2017; α = 1.6732632423543772848, λ = 1.0507009873554804934' },
  { name: 'sigmoid', family: 'classic', expr: 'sigmoid(x)', formula: '1/(1 + e⁻ˣ)', reference: 'standard' },
  { name: 'tanh', family: 'classic', expr: 'tanh(x)', formula: 'tanh(x)', reference: 'standard' },
  { name: 'swish', aliases: ['silu'], family: 'classic', expr: 'swish(x)', formula: 'x·σ(x)', reference: 'Ramachandran et al. 2017 (β = 1); Elfwing et al. 2018 (SiLU)' },
  {
    name: 'hard_sigmoid', family: 'classic', expr: 'hard_sigmoid(x)', formula: 'clip(0.2x + 0.5, 0, 1)',
    reference: 'Courbariaux et al. 2015; ONNX HardSigmoid defaults, Keras 2, PANGAEA baseline',
  },
  {
    name: 'hard_sigmoid6', aliases: ['hard_sigmoid_torch'], family: 'classic', expr: 'hard_sigmoid6(x)',
    formula: 'clip(x/6 + 0.5, 0, 1)', reference: 'Howard et al. 2019 (MobileNetV3); PyTorch hardsigmoid, Keras 3',
  },
  { name: 'hard_silu', aliases: ['hard_swish', 'hardswish'], family: 'classic', expr: 'hard_silu(x)', formula: 'x·clip(x/6 + 1/2, 0, 1)', reference: 'Howard et al. 2019 (MobileNetV3); PyTorch Hardswish as in LayerAct' },
  { name: 'gelu', family: 'classic', expr: 'gelu(x)', formula: '0.5·x·(1 + erf(x/√2))', reference: 'Hendrycks & Gimpel 2016; exact form (PyTorch default, LayerAct baseline)' },
  { name: 'gelu_tanh', aliases: ['gelu_new'], family: 'classic', expr: 'gelu_tanh(x)', formula: '0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))', reference: 'Hendrycks & Gimpel 2016; tanh approximation (PANGAEA baseline)' },
  { name: 'mish', family: 'classic', expr: 'mish(x)', formula: 'x·tanh(softplus(x))', reference: 'Misra 2019' },
  { name: 'softplus', family: 'classic', expr: 'softplus(x)', formula: 'ln(1 + eˣ)', reference: 'Dugas et al. 2001' },
  { name: 'softsign', family: 'classic', expr: 'softsign(x)', formula: 'x/(1 + |x|)', reference: 'Bergstra et al. 2009' },
  { name: 'elish', family: 'classic', expr: 'elish(x)', formula: 'x·σ(x) if x ≥ 0 else (eˣ − 1)·σ(x)', reference: 'Basirat & Roth 2018; PANGAEA baseline' },
  {
    name: 'la_silu', family: 'layeract', expr: 'x*sigmoid(lnorm(x, alpha))', constants: { alpha: 1e-5 }, domains: { alpha: POSITIVE },
    formula: 'y·σ(n), n = (y − μ)/√(v + α), μ, v (unbiased) per sample over C·H·W',
    reference: LAYERACT,
    notes: 'α = 1e-5 for CIFAR-scale models, 0.1 for ImageNet-scale ones (la_silu:alpha=0.1); no parameters, same in training and inference',
  },
  {
    name: 'la_hardsilu', family: 'layeract', expr: 'x*hard_sigmoid6(lnorm(x, alpha))', constants: { alpha: 1e-5 }, domains: { alpha: POSITIVE },
    formula: 'y·clip(n/6 + 1/2, 0, 1), n as in la_silu', reference: LAYERACT,
    notes: "the reference code's form; the paper's min/max form differs for negative y",
  },
  {
    name: 'velu', family: 'velu',
    expr: `A = x*sigmoid(a*(atan(b1*x) + asin(clip(b2*x, -1, 1))))*(1 + gamma*tanh(m*fdiv(1, sqrt(cmean(x*x) + eps))));
      lambda*A`,
    constants: { a: 0.1, b1: 0.1, b2: 0.1, gamma: 0.1, m: 0.9, eps: 1e-6 },
    // ε sits under a square root next to a mean of squares: it must keep the denominator positive
    domains: { a: FINITE, b1: FINITE, b2: FINITE, gamma: FINITE, m: FINITE, eps: POSITIVE },
    params: { lambda: { init: 1, shape: 'scalar' } },
    aux: { kind: 'w2_normal', weight: 0.1, of: 'A' },
    formula: 'λ·x·σ(a(atan(b₁x) + asin(clip(b₂x, −1, 1))))·(1 + γ·tanh(m/√(mean_c(x²) + ε)))',
    reference: VELU,
    notes: 'code semantics: statistic over the channel axis per position, ε = 1e-6, trainable scalar λ; the W₂² term (weight 0.1) is a training loss only and is not exported',
  },
  { name: 'pangaea_p1', family: 'pangaea', expr: 'log_sigmoid(alpha*x)*asinh(x)', params: { alpha: pc() }, formula: 'ln σ(αx)·arcsinh(x)', reference: PANGAEA },
  { name: 'pangaea_p2', family: 'pangaea', expr: 'min(log_sigmoid(x), alpha*log_sigmoid(beta*x))', params: { alpha: pc(), beta: pc() }, formula: 'min(ln σ(x), α·ln σ(βx))', reference: PANGAEA },
  { name: 'pangaea_p3', family: 'pangaea', expr: 'softplus(elu(x))', formula: 'softplus(ELU(x))', reference: PANGAEA },
  { name: 'pangaea_p4', family: 'pangaea', expr: 'max(swish(x), alpha*log_sigmoid(relu(x)))', params: { alpha: pc() }, formula: 'max(Swish(x), α·ln σ(ReLU(x)))', reference: PANGAEA },
  { name: 'pangaea_p5', family: 'pangaea', expr: 'min(swish(x), alpha*elu(relu(beta*x)))', params: { alpha: pc(), beta: pc() }, formula: 'min(Swish(x), α·ELU(ReLU(βx)))', reference: PANGAEA },
  { name: 'pangaea_p6', family: 'pangaea', expr: 'alpha*x - beta*log_sigmoid(gamma*x)', params: { alpha: pc(), beta: pc(), gamma: pc() }, formula: 'αx − β·ln σ(γx)', reference: PANGAEA },
  { name: 'pangaea_p7', family: 'pangaea', expr: '-swish(swish(alpha*x))', params: { alpha: pc() }, formula: '−Swish(Swish(αx))', reference: PANGAEA },
  { name: 'pangaea_p8', family: 'pangaea', expr: 'max(swish(x), 0)', formula: 'max(Swish(x), 0)', reference: PANGAEA },
  { name: 'pangaea_p9', family: 'pangaea', expr: 'selu(swish(x))', formula: 'SELU(Swish(x))', reference: PANGAEA },
];

// every constant declares its domain, and only constants do
for (const e of CATALOGUE) {
  const c = Object.keys(e.constants ?? {}).sort().join(',');
  const d = Object.keys(e.domains ?? {}).sort().join(',');
  if (c !== d) throw new Error(`catalogue: '${e.name}' declares domains for [${d}] but has constants [${c}]`);
}

const byName = new Map<string, CatalogueEntry>();
for (const e of CATALOGUE) {
  byName.set(e.name, e);
  for (const a of e.aliases ?? []) byName.set(a, e);
}

export function findEntry(name: string): CatalogueEntry | undefined {
  return byName.get(name.toLowerCase());
}

export function catalogueNames(): string[] {
  return [...byName.keys()];
}
