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
export { decodeModel, encodeModel, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from './onnx/writer.js';
export { GraphBuilder, type OnnxAttr, type OnnxNodeSpec, type OnnxTensorSpec } from './onnx/graph.js';
export { CHECKER_MAX_OPSET, checkOpset, irVersionFor, ONNX_OP_SINCE, OpsetTooLow, SUPPORTED_OPSETS } from './onnx/opsets.js';
// runtimes
export { createSession, runOnce, type EpName, type OptLevel, type SessionInfo, type SessionOptions } from './runtime/session.js';
export { selectBackend, describeBackend, type BackendChoice, type BackendName } from './train/backend.js';
// verbs
export { exportActivation, listActivations, plotActivations, showActivation, type ActivationDescription, type CatalogueRow, type ExportOptions as ActivationExportOptions, type ExportResult as ActivationExportResult, type PlotOptions } from './api/acts.js';
export { benchActivations, activationBenchMarkdown } from './bench/activations.js';
// corruptions (CIFAR-10-C / ImageNet-C)
export { corrupt, corruptFloat, getCorruptionNames, checkCorruptionName, checkSeverity, toUint8, CORRUPTIONS, CATEGORIES, PRESETS, NumpyRandomState, deriveSeed, presetForSize, type CorruptOptions, type CorruptionName, type ImageU8, type Preset } from './corrupt/index.js';
export { SEVERITY } from './corrupt/presets.js';
export { corruptArraySet, corruptFolder, type CorruptRunOptions, type CorruptRunResult } from './corrupt/pipeline.js';
export { corruptPreview, runCorrupt, type CorruptPreviewRequest, type CorruptRequest } from './api/corrupt.js';
export { previewSvg } from './corrupt/preview.js';
// data
export type { ImageSet, DatasetSplits } from './data/dataset.js';
export { loadDataset } from './data/sources.js';
export { readNpy, encodeNpy, NpyFile } from './data/npy.js';
export { readIdx, encodeIdx } from './data/idx.js';
export { readCifar, readCifarPickle, encodeCifar } from './data/cifar.js';
export { readImagenetVal, listImagenetVal } from './data/imagenet-val.js';
export { readImageFolder, decodeImage } from './data/folder.js';
export { CifarC, openImagenetC } from './data/released.js';
export { stratifiedSplit, channelStats } from './data/split.js';
// models, training, export
export { createModel, modelNames, describeModel, countMacs, type ModelOptions } from './models/registry.js';
export { train, evaluate as evaluateAccuracyTfjs, type TrainOptions, type TrainState } from './train/loop.js';
export { DEFAULT_RECIPE, learningRate, type Recipe } from './train/recipe.js';
export { saveModel, loadModel } from './train/io.js';
export { registerWasmTrainingKernels } from './train/wasm-kernels.js';
export { exportLayersModel, type ExportOptions as OnnxExportOptions } from './onnx/export.js';
export { compareOnImages, type Fidelity } from './onnx/validate.js';
export { runTraining, readManifest, type Manifest, type TrainRequest } from './api/train.js';
export { exportTrained, type ExportRequest, type ExportReport } from './api/export.js';
export { listModels, type ListModelsOptions, type ZooEntry } from './api/models.js';
// evaluation, benchmarks, results, reports
export { runEval, type RunEvalOptions, type EvalRun } from './api/eval.js';
export { resolvePreprocess, PRESETS as PREPROCESS_PRESETS, type Preprocess, type PreprocessRequest, type ResolvedPreprocess } from './data/preprocess.js';
export { evaluateModel, cifarCSource, imagenetCSource, onTheFlySource, readModelInfo, type CifarCSourceOptions, type EvalCellSpec, type EvalOptions, type EvalSource, type OnnxModelInfo } from './eval/evaluate.js';
export { aggregate, corruptionErrors, corruptionErrorsVsAlexNet, ALEXNET_ERR, ALEXNET_ERR_BY_SEVERITY, LAYERACT_CATEGORIES, type Aggregates, type AlexNetErrors, type ModelEval } from './eval/metrics.js';
export { welchTTest, wilcoxonSignedRank, meanStd, significance } from './eval/stats.js';
export { benchModels, type ModelBenchOptions } from './bench/models.js';
export { runBench, type BenchRunOptions, type BenchRunResult } from './api/bench.js';
export { ResultsStore, RESULTS_SCHEMA_VERSION, parseStore, cellKey, type EvalRecord, type BenchRecord, type ResultRecord, type Provenance, type StoreContents } from './results/store.js';
export { collectRuns, robustnessMarkdown, type ModelRun } from './report/robustness.js';
export { DEFAULT_BASELINE, loadResults, reportResults, reportRuns, reportSearchDir, resultsCsv, resultsData, type LoadedResults, type ModelSummary, type ResultsData, type ResultsReport, type ResultsReportOptions, type ResultsSelection } from './api/report.js';
export { CSV_COLUMNS, csvRows, toCsv, type CsvRow } from './report/csv.js';
export { runStudy, DEFAULT_STUDY_ACTS, DEFAULT_STUDY_SEEDS, type StudyOptions } from './api/study.js';
// activation search
export { runSearch, exportSearch, rerankSearch, type RerankOptions, type SearchOptions, type SearchResult } from './api/search.js';
// jobs: typed jobs, executors (local child processes, BullMQ queue), queue workers
export { jobKey, canonicalJson } from './jobs/key.js';
export { localExecutor, type Executor } from './jobs/executor.js';
export type { JobKind, JobKinds } from './jobs/kinds/index.js';
export { queueExecutor, type QueueExecutorOptions } from './jobs/queue/executor.js';
export { startWorker, type WorkerOptions, type RunningWorker } from './jobs/queue/worker.js';
export { queueStatus, type QueueStatus } from './jobs/queue/status.js';
export { parseQueueUrl, redact, type QueueAddress } from './jobs/queue/url.js';
export { runAnalysis, type AnalyzeRequest, type AnalyzeResult } from './api/analyze.js';
export { runLayerActMnist, type LayerActMnistOptions } from './analyze/recipe.js';
export type { Analysis, AnalysisRecord } from './analyze/analyze.js';
