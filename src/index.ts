/**
 * actbench's public API: everything the CLI can do, typed. Data flows down this list:
 * activations → ONNX writer → runtime → benchmarks → reports.
 */
export { ActbenchError, ExpressionError } from './errors.js';
// activations: definitions, the expression language, the two renderers
export { CATALOGUE, findEntry, type CatalogueEntry, type AuxLossDef, type Family } from './acts/catalogue.js';
export { compileActivation, resolveActivation, type ActivationDef, type CompiledActivation, type ResolveOptions } from './acts/define.js';
export type { Expr, ParamDef, ParamShape } from './acts/ir.js';
export { OPS, PANGAEA_BINARY, PANGAEA_UNARY, type OpDef } from './acts/ops.js';
export { parseExpression, type ParseOptions, type ParseResult } from './acts/parse.js';
export { ActivationLayer, activationLayer, evaluateTfjs, tfjsIr, w2NormalLoss, type Layout } from './acts/tfjs.js';
export { lowerActivation, minOpset, onnxIr, type LowerOptions, type OnnxFragment } from './acts/onnx.js';
// ONNX
export { activationModel, type ActivationModelOptions } from './onnx/activation-model.js';
export { checkModels, findOnnxPython } from './onnx/checker.js';
export { decodeModel, encodeModel, irVersionFor, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from './onnx/writer.js';
// runtimes
export { createSession, runOnce, type EpName, type OptLevel, type SessionInfo, type SessionOptions } from './runtime/session.js';
export { selectBackend, describeBackend, type BackendChoice, type BackendName } from './train/backend.js';
// verbs
export { exportActivation, listActivations, plotActivations, showActivation } from './api/acts.js';
export { benchActivations, activationBenchMarkdown } from './bench/activations.js';
