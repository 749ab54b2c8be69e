/** `actbench acts`: list, show, export and plot activations. Parses flags, calls the API, prints. */
import Table from 'cli-table3';
import type { Command } from 'commander';
import { exportActivation, listActivations, plotActivations, showActivation } from '../api/acts.js';
import { selectBackend, describeBackend, parseBackend } from '../train/backend.js';
import { CHECKER_MAX_OPSET, checkOpset, SUPPORTED_OPSETS } from '../onnx/opsets.js';
import { numberPair, shape } from './parse-flags.js';

// --opset goes through the one opset check: a coded error naming the supported range (exit 1)
const opsetFlag = (v: string): number => checkOpset(v);
const OPSETS = `${SUPPORTED_OPSETS.min}–${SUPPORTED_OPSETS.max}`;

function printList(json: boolean): void {
  const rows = listActivations();
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const table = new Table({ head: ['name', 'formula', 'parameters', 'reference'], colWidths: [16, 46, 22, 52], wordWrap: true });
  for (const r of rows) {
    const params = [
      ...r.params.map((p) => `${p.name} (${p.shape}, init ${p.init})`),
      ...Object.entries(r.constants).map(([k, v]) => `${k} = ${v}`),
    ].join('\n');
    table.push([r.aliases.length ? `${r.name}\n(${r.aliases.join(', ')})` : r.name, r.formula, params || '–', r.reference]);
  }
  console.log(table.toString());
  console.log(`${rows.length} activations. Any expression over x works too, e.g. actbench acts show "min(swish(x), a*elu(relu(b*x)))"`);
}

export function registerActs(program: Command): void {
  const acts = program
    .command('acts')
    .description('the activation catalogue: list, show, export to ONNX, plot')
    .option('--json', 'print the catalogue as JSON')
    .enablePositionalOptions()
    .action((o: { json?: boolean }) => printList(!!o.json));

  acts
    .command('list')
    .description('list the catalogue (name, formula, parameters, reference)')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => printList(!!o.json));

  acts
    .command('show <activation>')
    .description('formula, parameters, the ONNX ops it lowers to and its minimum opset (NAME, NAME:const=v or an expression)')
    .option('--opset <n>', `ONNX opset (${OPSETS})`, opsetFlag, SUPPORTED_OPSETS.default)
    .option('--native-ops', 'keep Asin/Atan/Sinh/Cosh/Asinh (no CUDA kernels) instead of rewriting them')
    .option('--json', 'print as JSON')
    .action((spec: string, o: { opset: number; nativeOps?: boolean; json?: boolean }) => {
      const d = showActivation(spec, { opset: o.opset, cudaSafe: !o.nativeOps });
      if (o.json) {
        console.log(JSON.stringify(d, null, 2));
        return;
      }
      const lines = [
        `activation   ${d.def.name}`,
        `label        ${d.label}`,
        ...(d.entry ? [`formula      ${d.entry.formula}`, `reference    ${d.entry.reference}`] : []),
        `expression   ${d.def.expr.replace(/\s+/g, ' ')}`,
        `constants    ${Object.entries(d.def.constants).map(([k, v]) => `${k} = ${v}`).join(', ') || '–'}`,
        `parameters   ${Object.entries(d.def.params).map(([k, p]) => `${k} (${p.shape}, init ${p.init})`).join(', ') || '–'}`,
        ...(d.def.aux ? [`training     + ${d.def.aux.weight}·W₂²(${d.def.aux.of}, N(0,1)) added to the loss; not exported`] : []),
        ...(d.entry?.notes ? [`notes        ${d.entry.notes}`] : []),
        `ONNX         opset ${d.onnx.opset}${d.onnx.cudaSafe ? ', CUDA-safe' : ', native ops'}: ${d.onnx.nodes} nodes — ${Object.entries(d.onnx.ops).map(([k, v]) => (v > 1 ? `${k}×${v}` : k)).join(', ')}`,
        `min opset    ${d.onnx.minOpset}`,
        `probe        ${d.probe.map((p) => `${p.form}: ${p.nonFinite ? `±inf/NaN at ${p.nonFinite} of ${p.points}` : `finite at all ${p.points}`} points in [${p.range[0]}, ${p.range[1]}]`).join('; ')}`,
      ];
      console.log(lines.join('\n'));
    });

  acts
    .command('export <activation>')
    .description('write a standalone ONNX model of the activation (input X, output Y, NCHW), checked against TF.js and onnx.checker')
    .requiredOption('--shape <dims>', 'input shape N,C,H,W (or N,C)', shape('--shape'))
    .requiredOption('--out <file>', 'output .onnx file')
    .option('--opset <n>', `ONNX opset (${OPSETS}; the checker validates ≤ ${CHECKER_MAX_OPSET})`, opsetFlag, SUPPORTED_OPSETS.default)
    .option('--native-ops', 'keep ops the CUDA provider lacks instead of rewriting them')
    .option('--backend <name>', 'TF.js backend for the numeric check (auto, tensorflow-gpu, tensorflow, native, wasm, cpu)', parseBackend, 'auto')
    .action(async (spec: string, o: { shape: number[]; out: string; opset: number; nativeOps?: boolean; backend: ReturnType<typeof parseBackend> }) => {
      const backend = await selectBackend(o.backend, 'infer');
      console.error(describeBackend(backend));
      const r = await exportActivation(spec, { shape: o.shape, out: o.out, opset: o.opset, cudaSafe: !o.nativeOps });
      console.log(`wrote ${r.file} (${r.bytes} bytes, ${r.nodes} nodes, opset ${o.opset})`);
      console.log(`TF.js (${backend.name}) vs onnxruntime (cpu): max rel diff ${r.maxDiff.toExponential(2)}${r.nonFinite ? ` (both ±inf/NaN at ${r.nonFinite} inputs)` : ''}`);
      console.log(r.checker ? `onnx.checker ${r.checker.version} (full check + strict shape inference): ok` : `onnx.checker: not available (install python3-onnx) or opset > ${CHECKER_MAX_OPSET} — skipped`);
    });

  acts
    .command('plot <activations...>')
    .description('SVG of f(x) and f′(x) for each activation, written to reports/')
    .option('--out <file>', 'output .svg (default reports/acts-<names>.svg)')
    .option('--range <lo,hi>', 'x range', numberPair('--range'), [-6, 6] as [number, number])
    .option('--backend <name>', 'TF.js backend', parseBackend, 'auto')
    .action(async (specs: string[], o: { out?: string; range: [number, number]; backend: ReturnType<typeof parseBackend> }) => {
      const backend = await selectBackend(o.backend, 'infer');
      console.error(describeBackend(backend));
      const slug = specs.map((s) => s.replace(/[^A-Za-z0-9_]+/g, '_')).join('-').slice(0, 80);
      const r = await plotActivations(specs, { out: o.out ?? `reports/acts-${slug}.svg`, range: o.range });
      console.log(`wrote ${r.file}`);
    });

  acts.showHelpAfterError();
}
