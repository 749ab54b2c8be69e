/**
 * The results store: one JSON record per measurement, appended to a JSONL file (one write per line, so a
 * killed run leaves at most one torn last line, which the next writer moves aside), with provenance. Evaluation cells are keyed by (model hash,
 * dataset, corruption, severity) so a rerun skips what is done.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ActbenchError, fsError } from '../errors.js';
import { lockFile, type DirLock } from '../util/lock.js';

/**
 * The version of the record format. Records written before it existed carry none and are read as version 1;
 * fields added since are optional (a reader ignores fields it does not know), so the version only rises when
 * an older reader would misread a record. A record from a newer actbench is refused, naming its line.
 */
export const RESULTS_SCHEMA_VERSION = 1;

export interface Provenance {
  actbench: string;
  machine: string;
  time: string;
}

export interface EvalRecord {
  kind: 'eval';
  /** the record format (RESULTS_SCHEMA_VERSION); set by the store on append, 1 when read from an older record */
  schemaVersion?: number;
  model: string;
  modelHash: string;
  /** the activation the model was exported with (from its metadata), if known */
  activation?: string;
  seed?: number;
  dataset: string;
  corruption: string | null;
  severity: number | null;
  top1: number;
  top5: number;
  n: number;
  /** predictions with a non-finite logit (never counted correct); absent in records of older versions */
  nonFinite?: number;
  provider: string;
  requestedProvider: string;
  optLevel: string;
  /** onnxruntime optimizers switched off for this model (the SkipLayerNormFusion crash guard) */
  disabledOptimizers?: string[];
  /** TF.js vs ONNX top-1 agreement on the same inputs, when the TF.js model was available */
  fidelity?: number;
  /** onnxruntime intra-op threads and spin-waiting the session ran with (absent in older records) */
  intraOpThreads?: number;
  spinning?: boolean;
  /** mean cross-entropy and 15-bin ECE over the images with finite logits (src/eval/calibration.ts); absent in older records */
  loss?: number;
  ece?: number;
  /** how the images were fed (src/data/preprocess.ts); absent in older records (mean/std from the model's metadata) */
  preprocess?: EvalPreprocess;
  seconds: number;
  provenance: Provenance;
}

/** The preprocessing stored with an eval record (data/preprocess.ts ResolvedPreprocess, kept structural here). */
export interface EvalPreprocess {
  mean: number[];
  std: number[];
  scale: number;
  layout: 'nchw' | 'nhwc';
  channelOrder: 'rgb' | 'bgr';
  inputShape?: [number, number, number];
  image?: { resize?: number; centerCrop?: number; interpolation: 'bilinear' | 'bicubic' };
  preset?: string;
  origin: Partial<Record<string, 'flag' | 'preset' | 'metadata' | 'default'>>;
}

export interface BenchRecord {
  kind: 'bench';
  /** the record format (RESULTS_SCHEMA_VERSION); set by the store on append, 1 when read from an older record */
  schemaVersion?: number;
  model: string;
  modelHash: string;
  activation?: string;
  batch: number;
  imagesPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; cv: number };
  sessionCreateMs: number;
  firstRunMs: number;
  rssMiB: number;
  gpuMemoryMiB?: number;
  warmup: number;
  reps: number;
  provider: string;
  requestedProvider: string;
  fallbackReason?: string;
  optLevel: string;
  disabledOptimizers?: string[];
  intraOpThreads?: number;
  /** session.intra_op.allow_spinning as set (absent: onnxruntime's default, on) */
  spinning?: boolean;
  /** peak RSS of a fresh process: session creation + the largest batch (bench in its own process) */
  peakRssMiB?: number;
  /** RSS of that fresh process before the session existed (Node and onnxruntime's library) */
  baseRssMiB?: number;
  /** RSS growth from after session creation to after the largest batch (the CPU arena) */
  arenaGrowthMiB?: number;
  /** trainable parameters in the model's initializers (float tensors) */
  parameters?: number;
  /** the process's CPU time (all threads, user + system) over the timed runs, per image */
  cpuMsPerImage?: number;
  /** p50 latency of each round's turn, ms, in round order: how far the machine's state moved the model */
  roundP50Ms?: number[];
  gpuName?: string;
  /** why GPU memory could not be read under CUDA (nvidia-smi's answer) */
  gpuMemoryNote?: string;
  onnxruntime: string;
  provenance: Provenance;
}

export type ResultRecord = EvalRecord | BenchRecord;

/** Records are written with `kind` first, so a torn line of ours always starts like this. */
const RECORD_START = /^\{"kind":"(eval|bench)"/;
const RECORD_PREFIXES = ['{"kind":"eval"', '{"kind":"bench"'];

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const frac: Check = (v) => num(v) && (v as number) >= 0 && (v as number) <= 1;
const count: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const pos: Check = (v) => Number.isInteger(v) && (v as number) >= 1;
const strs: Check = (v) => Array.isArray(v) && v.every(str);
const nullable = (c: Check): Check => (v) => v === null || c(v);
const optional = (c: Check): Check => (v) => v === undefined || c(v);
const obj = (fields: Record<string, Check>): Check => (v) => typeof v === 'object' && v !== null && Object.entries(fields).every(([k, c]) => c((v as Record<string, unknown>)[k]));
const provenance = obj({ actbench: str, machine: str, time: str });

/** The fields of each kind of record and what each must be (for messages: the description). */
const SCHEMAS: Record<ResultRecord['kind'], Record<string, [Check, string]>> = {
  eval: {
    model: [str, 'a string'], modelHash: [str, 'a string'], activation: [optional(str), 'a string'], seed: [optional(Number.isInteger), 'an integer'],
    dataset: [str, 'a string'], corruption: [nullable(str), 'a corruption name or null'], severity: [nullable(pos), 'a severity or null'],
    top1: [frac, 'a number in [0, 1]'], top5: [frac, 'a number in [0, 1]'], n: [pos, 'a positive integer'], nonFinite: [optional(count), 'a count ≥ 0'],
    provider: [str, 'a string'], requestedProvider: [str, 'a string'], optLevel: [str, 'a string'], disabledOptimizers: [optional(strs), 'a list of strings'], fidelity: [optional(frac), 'a number in [0, 1]'],
    intraOpThreads: [optional(pos), 'a positive integer'], spinning: [optional((v) => typeof v === 'boolean'), 'true or false'],
    loss: [optional((v) => num(v) && (v as number) >= 0), 'a number ≥ 0'], ece: [optional(frac), 'a number in [0, 1]'],
    preprocess: [optional((v) => typeof v === 'object' && v !== null && Array.isArray((v as EvalPreprocess).mean) && Array.isArray((v as EvalPreprocess).std) && num((v as EvalPreprocess).scale)), '{ mean, std, scale, layout, channelOrder, … } (docs/preprocessing.md)'],
    seconds: [num, 'a number'], provenance: [provenance, '{ actbench, machine, time }'],
  },
  bench: {
    model: [str, 'a string'], modelHash: [str, 'a string'], activation: [optional(str), 'a string'], batch: [pos, 'a positive integer'],
    imagesPerSecond: [num, 'a number'], latencyMs: [obj({ p50: num, p90: num, p99: num, mean: num, cv: num }), '{ p50, p90, p99, mean, cv }'],
    sessionCreateMs: [num, 'a number'], firstRunMs: [num, 'a number'], rssMiB: [num, 'a number'], gpuMemoryMiB: [optional(num), 'a number'],
    warmup: [count, 'a count'], reps: [pos, 'a positive integer'], provider: [str, 'a string'], requestedProvider: [str, 'a string'],
    fallbackReason: [optional(str), 'a string'], optLevel: [str, 'a string'], intraOpThreads: [optional(pos), 'a positive integer'],
    disabledOptimizers: [optional(strs), 'a list of strings'], spinning: [optional((v) => typeof v === 'boolean'), 'true or false'],
    peakRssMiB: [optional(num), 'a number'], baseRssMiB: [optional(num), 'a number'], arenaGrowthMiB: [optional(num), 'a number'], parameters: [optional(count), 'a count'], cpuMsPerImage: [optional(num), 'a number'], roundP50Ms: [optional((v) => Array.isArray(v) && v.length > 0 && v.every(num)), 'a list of numbers'], gpuName: [optional(str), 'a string'], gpuMemoryNote: [optional(str), 'a string'],
    onnxruntime: [str, 'a string'], provenance: [provenance, '{ actbench, machine, time }'],
  },
};

/** Why `v` is not an actbench record, or null when it is one (`future`: it is one, of a newer format). */
export function recordProblem(v: unknown): { field: string; message: string; future?: true } | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { field: 'kind', message: 'not a JSON object' };
  const r = v as Record<string, unknown>;
  if (r.kind !== 'eval' && r.kind !== 'bench') return { field: 'kind', message: `kind must be 'eval' or 'bench', got ${JSON.stringify(r.kind)}` };
  if (r.schemaVersion !== undefined && !pos(r.schemaVersion)) return { field: 'schemaVersion', message: `field 'schemaVersion' must be a positive integer, got ${JSON.stringify(r.schemaVersion)}` };
  if (typeof r.schemaVersion === 'number' && r.schemaVersion > RESULTS_SCHEMA_VERSION) {
    return { field: 'schemaVersion', message: `schemaVersion ${r.schemaVersion} is newer than this actbench reads (${RESULTS_SCHEMA_VERSION}): upgrade actbench`, future: true };
  }
  for (const [field, [check, expected]] of Object.entries(SCHEMAS[r.kind])) {
    if (!check(r[field])) return { field, message: `field '${field}' must be ${expected}, got ${JSON.stringify(r[field]) ?? 'nothing'}` };
  }
  return null;
}

export interface StoreContents {
  records: ResultRecord[];
  /** a torn last line (a writer killed mid-append), not part of `records` */
  torn: string | null;
  /** the last record is whole but its line lacks the final newline */
  unterminated: boolean;
}

/**
 * Parse and validate a results store's text line by line. A file that is not a results store (JSON, CSV,
 * JSON lines of something else) is refused as a whole; a malformed record later on with its line.
 */
export function parseStore(file: string, text: string): StoreContents {
  const lines = text.split('\n');
  const endsClean = text.length === 0 || text.endsWith('\n');
  const lastIndex = endsClean ? lines.length - 2 : lines.length - 1;
  const records: ResultRecord[] = [];
  let torn: string | null = null;
  let seen = 0;
  for (let i = 0; i <= lastIndex; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    let v: unknown;
    let problem: ReturnType<typeof recordProblem>;
    try {
      v = JSON.parse(line);
      problem = recordProblem(v);
    } catch (e) {
      problem = { field: 'json', message: `not valid JSON (${(e as Error).message})` };
    }
    if (problem?.future) {
      throw new ActbenchError('RESULTS_FUTURE_VERSION', `${file} line ${i + 1}: ${problem.message}`, { file, field: `line ${i + 1}` });
    }
    if (problem) {
      // the start of one of our records (or, after whole records, any prefix of one), cut off
      const ours = RECORD_START.test(line) || (seen > 0 && RECORD_PREFIXES.some((p) => p.startsWith(line)));
      if (i === lastIndex && !endsClean && ours) {
        torn = line; // the start of one of our records, cut off: a killed writer
        break;
      }
      if (seen === 0) {
        throw new ActbenchError('RESULTS_NOT_A_STORE', `${file} is not an actbench results store (JSON lines of eval/bench records): line ${i + 1} is ${problem.message}; choose another --results file`, { file, field: `line ${i + 1}` });
      }
      throw new ActbenchError('RESULTS_BAD_RECORD', `${file} line ${i + 1}: ${problem.message}`, { file, field: `line ${i + 1}` });
    }
    seen++;
    const r = v as ResultRecord;
    records.push(r.schemaVersion === undefined ? withVersion(r, 1) : r);
  }
  return { records, torn, unterminated: !endsClean && torn === null && lines[lines.length - 1].trim() !== '' };
}

/**
 * The results store. Reads validate every record; before appending, a torn tail is moved to `<file>.torn`
 * (never lost) and the file cut back to its last whole record. Each append is one write(2) of one whole
 * line to a file opened O_APPEND, so concurrent appenders never interleave within a line; `eval` also
 * holds `lock()` so two evals never compute the same cells at once.
 */
export class ResultsStore {
  private prepared = false;
  constructor(readonly file: string, private readonly log: (line: string) => void = (l) => process.emitWarning(l, { code: 'ACTBENCH_RESULTS_REPAIRED' })) {}

  private text(): string | null {
    if (!existsSync(this.file)) return null;
    try {
      return readFileSync(this.file, 'utf8');
    } catch (e) {
      throw fsError(e, this.file, 'read the results store');
    }
  }

  /** Every record, validated; a torn last line is left out (and left alone: reading never writes). */
  read(): ResultRecord[] {
    const t = this.text();
    return t === null ? [] : parseStore(this.file, t).records;
  }

  /**
   * Before any work that appends: refuse a file that is not a results store (or holds a malformed
   * record), and repair a torn or unterminated last line. Returns what was repaired, if anything.
   */
  prepareAppend(): string | null {
    const t = this.text();
    if (t === null) {
      this.prepared = true;
      return null;
    }
    const c = parseStore(this.file, t);
    this.prepared = true;
    let said: string | null = null;
    if (c.torn !== null) {
      const side = `${this.file}.torn`;
      try {
        appendFileSync(side, c.torn + '\n');
        truncateSync(this.file, Buffer.byteLength(t) - Buffer.byteLength(c.torn));
      } catch (e) {
        throw fsError(e, this.file, 'repair the torn last line of');
      }
      said = `${this.file}: its last line was torn (a writer was killed mid-record); moved it to ${side} and kept the ${c.records.length} whole records`;
    } else if (c.unterminated) {
      this.write('\n');
      said = `${this.file}: its last record lacked a final newline; added it`;
    }
    if (said) this.log(said);
    return said;
  }

  private write(text: string): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const buf = Buffer.from(text);
    let fd: number;
    try {
      fd = openSync(this.file, 'a');
    } catch (e) {
      throw fsError(e, this.file, 'append to');
    }
    try {
      const wrote = writeSync(fd, buf, 0, buf.length);
      if (wrote !== buf.length) throw new ActbenchError('RESULTS_SHORT_WRITE', `${this.file}: wrote ${wrote} of ${buf.length} bytes (disk full?)`, { file: this.file });
    } catch (e) {
      throw fsError(e, this.file, 'append to');
    } finally {
      closeSync(fd);
    }
  }

  /** Append one record, stamped with the current schemaVersion; returns the record as stored. */
  append<R extends ResultRecord>(r: R): R {
    if (!this.prepared) this.prepareAppend();
    const stored = withVersion(r, RESULTS_SCHEMA_VERSION);
    const problem = recordProblem(stored);
    if (problem) throw new ActbenchError('RESULTS_BAD_RECORD', `refusing to store a malformed ${r.kind} record: ${problem.message}`, { file: this.file, field: problem.field });
    this.write(JSON.stringify(stored) + '\n');
    return stored;
  }

  /** An exclusive lock on this store (a lock file next to it), released on exit and on SIGINT/SIGTERM. */
  lock(): DirLock {
    return lockFile(`${this.file}.lock`, 'results store', this.file);
  }

  /** The finished eval cells of one model and dataset, read once (lookups by corruption/severity). */
  evalCells(modelHash: string, dataset: string, accept: (r: EvalRecord) => boolean = () => true): Map<string, EvalRecord> {
    const cells = new Map<string, EvalRecord>();
    for (const r of this.read()) {
      if (r.kind === 'eval' && r.modelHash === modelHash && r.dataset === dataset && !cells.has(cellKey(r.corruption, r.severity)) && accept(r)) cells.set(cellKey(r.corruption, r.severity), r);
    }
    return cells;
  }
}

/** `r` with `schemaVersion` right after `kind` (kind stays first: a torn line of ours is recognised by it). */
function withVersion<R extends ResultRecord>(r: R, version: number): R {
  const { kind, schemaVersion: _old, ...rest } = r;
  return { kind, schemaVersion: version, ...rest } as unknown as R;
}

export function cellKey(corruption: string | null, severity: number | null): string {
  return `${corruption ?? 'clean'}/${severity ?? '-'}`;
}
