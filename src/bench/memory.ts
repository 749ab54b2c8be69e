/**
 * Memory per model, VeLU-style (its Table 4 reports memory per activation): each model in a fresh child
 * process (memory-child.ts), because peak RSS is monotone per process and a shared process reads ~0 growth
 * for every model after the first. Plus the model's parameter count from its initializers.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ActbenchError } from '../errors.js';
import { decodeModel } from '../onnx/writer.js';
import type { ModelContract } from '../runtime/contract.js';
import type { SessionOptions } from '../runtime/session.js';
import type { MemoryChildRequest, MemoryChildResult } from './memory-child.js';

export type { MemoryChildResult } from './memory-child.js';

/**
 * Float elements in a model's initializers: its weights (BN folded in) and the activations' constants,
 * less the initializers an actbench export lists as structural (a lowering's fixed filters, not weights).
 */
export function countParameters(model: string | Uint8Array): number {
  const m = decodeModel(typeof model === 'string' ? readFileSync(model) : model);
  let skip = new Set<string>();
  const listed = m.metadataProps?.find((p) => p.key === 'actbench.structural_initializers')?.value;
  try {
    if (listed) skip = new Set((JSON.parse(listed) as unknown[]).filter((x): x is string => typeof x === 'string'));
  } catch {
    // a foreign or damaged entry: count every initializer
  }
  let n = 0;
  for (const t of m.graph?.initializer ?? []) if (t.dataType === 1 && !skip.has(t.name ?? '')) n += (t.dims ?? []).reduce((a: number, d) => a * Number(d), 1);
  return n;
}

/** Peak RSS of session creation + two runs of `batch` images, arena growth, and GPU memory, in a fresh process. */
export function measureMemory(path: string, contract: Pick<ModelContract, 'inputName' | 'input' | 'shape'>, batch: number, session: SessionOptions): MemoryChildResult {
  // from source the child is a .ts file run through tsx, from dist/ plain JS
  const ts = import.meta.url.endsWith('.ts');
  const child = fileURLToPath(new URL(`./memory-child.${ts ? 'ts' : 'js'}`, import.meta.url));
  const req: MemoryChildRequest = { path, inputName: contract.inputName, input: contract.input, shape: [...contract.shape] as [number, number, number], batch, session };
  const r = spawnSync(process.execPath, [...(ts ? ['--import', 'tsx'] : []), child, JSON.stringify(req)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const line = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').filter((l) => !l.startsWith('    at ')).slice(-2).join(' ');
    throw new ActbenchError('BENCH_MEMORY_FAILED', `${path}: the fresh-process memory measurement failed: ${why}`, { file: path });
  }
  return JSON.parse(line) as MemoryChildResult;
}
