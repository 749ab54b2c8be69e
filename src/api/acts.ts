/**
 * What `actbench acts` does, as a typed API: list the catalogue, describe one activation, export it as a
 * standalone ONNX model (validated against TF.js and by the ONNX checker), and plot function shapes.
 */
import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { CATALOGUE, type Family } from '../acts/catalogue.js';
import { compileActivation, probeActivation, resolveActivation, type ActivationDef } from '../acts/define.js';
import { opsUsed } from '../acts/ir.js';
import { activationLabel } from '../acts/label.js';
import { lowerActivation, minOpset, onnxIr } from '../acts/onnx.js';
import { evaluateTfjs, paramShape, tfjsIr } from '../acts/tfjs.js';
import type { ProbeReport } from '../acts/validate.js';
import { ActbenchError } from '../errors.js';
import { activationModel } from '../onnx/activation-model.js';
import { checkModels } from '../onnx/checker.js';
import { CHECKER_MAX_OPSET, checkOpset, SUPPORTED_OPSETS } from '../onnx/opsets.js';
import { linePlotSvg, type LineSeries } from '../report/plot.js';
import { createSession, runOnce } from '../runtime/session.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface CatalogueRow {
  name: string;
  aliases: string[];
  family: Family;
  formula: string;
  expr: string;
  constants: Record<string, number>;
  params: { name: string; init: number; shape: string }[];
  reference: string;
  notes?: string;
  auxLoss?: string;
}

export function listActivations(): CatalogueRow[] {
  return CATALOGUE.map((e) => {
    const def = resolveActivation(e.name);
    return {
      name: e.name,
      aliases: [...(e.aliases ?? [])],
      family: e.family,
      formula: e.formula,
      expr: e.expr.replace(/\s+/g, ' '),
      constants: def.constants,
      params: Object.entries(def.params).map(([name, p]) => ({ name, ...p })),
      reference: e.reference,
      ...(e.notes ? { notes: e.notes } : {}),
      ...(e.aux ? { auxLoss: `${e.aux.weight}·W₂²(${e.aux.of}, N(0,1)) (training only)` } : {}),
    };
  });
}

export interface ActivationDescription {
  def: ActivationDef;
  /** the canonical label results are recorded under (acts/label.ts) */
  label: string;
  entry?: CatalogueRow;
  /** non-finite points on the probe grid; an activation non-finite on all of them is refused */
  probe: ProbeReport[];
  irOps: string[];
  onnx: { opset: number; ops: Record<string, number>; nodes: number; minOpset: number; cudaSafe: boolean };
}

export function showActivation(spec: string, o: { opset?: number; cudaSafe?: boolean } = {}): ActivationDescription {
  const def = resolveActivation(spec);
  const opset = checkOpset(o.opset ?? SUPPORTED_OPSETS.default);
  const cudaSafe = o.cudaSafe ?? true;
  const fragment = lowerActivation(def, { opset, layout: 'NCHW', featureShape: [8, 4, 4], input: 'X', output: 'Y', cudaSafe });
  const ops: Record<string, number> = {};
  for (const n of fragment.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  return {
    def,
    label: activationLabel(def),
    entry: listActivations().find((r) => r.name === def.name),
    probe: probeActivation(def),
    irOps: opsUsed(onnxIr(compileActivation(def).ir, opset, cudaSafe)),
    onnx: { opset, ops, nodes: fragment.nodes.length, minOpset: minOpset(def, [8, 4, 4], cudaSafe), cudaSafe },
  };
}

export interface ExportOptions {
  shape: number[];
  opset?: number;
  out: string;
  cudaSafe?: boolean;
  /** |TF.js − ORT| ≤ tolerance·max(1, |y|) or the export fails */
  tolerance?: number;
}

export interface ExportResult {
  file: string;
  bytes: number;
  nodes: number;
  maxDiff: number;
  /** validation points where both TF.js and onnxruntime gave ±inf/NaN (agreeing); never all of them */
  nonFinite: number;
  checker: { version: string; ok: boolean; error?: string } | null;
}

/** Deterministic validation input: a sweep over [-12, 12] mixed with exact zeros. */
function validationInput(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, k) => (k % 17 === 0 ? 0 : -12 + ((k * 7919) % 4801) * (24 / 4800)));
}

export async function exportActivation(spec: string, o: ExportOptions): Promise<ExportResult> {
  const def = resolveActivation(spec);
  const opset = checkOpset(o.opset ?? SUPPORTED_OPSETS.default);
  if (o.shape.length !== 4 && o.shape.length !== 2) {
    throw new ActbenchError('ACT_BAD_SHAPE', `--shape must be N,C,H,W or N,C, got ${o.shape.join(',')}`, { field: 'shape' });
  }
  const bytes = activationModel(def, { shape: o.shape, opset, cudaSafe: o.cudaSafe });
  const nodes = lowerActivation(def, { opset, layout: 'NCHW', featureShape: o.shape.slice(1), input: 'X', output: 'Y', cudaSafe: o.cudaSafe }).nodes.length;

  // numeric check: the same input through TF.js (channels-last, as trained) and through onnxruntime
  const n = o.shape.reduce((a, b) => a * b, 1);
  const x = validationInput(n);
  const session = await createSession(bytes, { ep: 'cpu' });
  const y = await runOnce(session.session, x, o.shape);
  await session.session.release();
  const c = compileActivation(def);
  const t = tf.tidy(() => {
    const nchw = tf.tensor(x, o.shape);
    const nhwc = o.shape.length === 4 ? nchw.transpose([0, 2, 3, 1]) : nchw;
    const params: Record<string, tf.Tensor> = {};
    for (const p of c.paramNames) params[p] = tf.fill(paramShape(def.params[p], nhwc.shape.slice(1)), def.params[p].init);
    const out = evaluateTfjs(tfjsIr(c.ir), nhwc, params);
    return (o.shape.length === 4 ? out.transpose([0, 3, 1, 2]) : out).dataSync() as Float32Array;
  });
  let maxDiff = 0;
  let nonFinite = 0;
  for (let k = 0; k < n; k++) {
    if (!Number.isFinite(y[k]) && !Number.isFinite(t[k])) nonFinite++;
    if (Number.isNaN(y[k]) && Number.isNaN(t[k])) continue;
    if (y[k] === t[k]) continue;
    maxDiff = Math.max(maxDiff, Math.abs(y[k] - t[k]) / Math.max(1, Math.abs(t[k])) || Infinity);
  }
  // NaN = NaN counts as agreement only where some output is a number: an all-NaN graph agrees with
  // anything all-NaN and proves nothing (the probe refuses such functions; this guards the tensor used)
  if (nonFinite === n) {
    throw new ActbenchError('ACT_NONFINITE_EVERYWHERE', `'${activationLabel(def)}' is ±inf or NaN on every one of the ${n} validation inputs in TF.js and onnxruntime: parity cannot be established; nothing was written`, { file: o.out, field: 'expression' });
  }
  const tol = o.tolerance ?? 1e-5;
  if (!(maxDiff <= tol)) {
    throw new ActbenchError('EXPORT_MISMATCH', `ONNX output differs from TF.js by ${maxDiff} (tolerance ${tol}); nothing was written`, { file: o.out });
  }

  writeFileAtomic(o.out, bytes);
  let checker: ExportResult['checker'] = null;
  if (opset <= CHECKER_MAX_OPSET) {
    const r = checkModels([o.out]);
    if (r) {
      checker = { version: r.version, ok: r.results[0].ok, error: r.results[0].error };
      if (!checker.ok) {
        rmSync(o.out, { force: true });
        throw new ActbenchError('EXPORT_CHECKER', `onnx.checker rejected the model: ${checker.error}; nothing was kept`, { file: o.out });
      }
    }
  }
  return { file: o.out, bytes: bytes.length, nodes, maxDiff, nonFinite, checker };
}

export interface PlotOptions {
  out: string;
  range?: [number, number];
  points?: number;
}

/** f(x) and f′(x) (TF.js autodiff, the gradient training uses) of each activation, as one SVG. */
export async function plotActivations(specs: string[], o: PlotOptions): Promise<{ file: string; series: number }> {
  if (specs.length === 0) throw new ActbenchError('ACT_PLOT_EMPTY', 'name at least one activation to plot', { field: 'activations' });
  const [lo, hi] = o.range ?? [-6, 6];
  if (!(lo < hi)) throw new ActbenchError('ACT_BAD_RANGE', `--range must be lo,hi with lo < hi, got ${lo},${hi}`, { field: 'range' });
  const points = o.points ?? 481;
  const xs = Float32Array.from({ length: points }, (_, k) => lo + ((hi - lo) * k) / (points - 1));
  const series: LineSeries[] = [];
  for (const spec of specs) {
    const def = resolveActivation(spec);
    const c = compileActivation(def);
    const ir = tfjsIr(c.ir);
    // a [points, 1] "dense" input: per-channel and layer statistics see one feature per sample,
    // so plot layer-level functions as [1, points] (one sample whose features are the sweep)
    const layerLevel = opsUsed(ir).some((op) => op === 'lnorm' || op === 'lmean' || op === 'cmean');
    const shape: [number, number] = layerLevel ? [1, points] : [points, 1];
    const [y, dy] = tf.tidy(() => {
      const params: Record<string, tf.Tensor> = {};
      for (const p of c.paramNames) params[p] = tf.fill(paramShape(def.params[p], [shape[1]]), def.params[p].init);
      const f = (x: tf.Tensor) => evaluateTfjs(ir, x, params);
      const x = tf.tensor2d(xs, shape);
      return [f(x).dataSync() as Float32Array, tf.grad((v: tf.Tensor) => f(v).sum())(x).dataSync() as Float32Array];
    });
    const label = activationLabel(def);
    series.push({ name: label, panel: 'f(x)', x: xs, y }, { name: label, panel: "f′(x)", x: xs, y: dy });
  }
  const svg = await linePlotSvg(series, { xTitle: 'x' });
  writeFileAtomic(o.out, svg);
  return { file: o.out, series: specs.length };
}
