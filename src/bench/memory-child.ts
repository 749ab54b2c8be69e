/**
 * One model's memory in a fresh process (peak RSS is monotone per process, so a shared process cannot
 * say what each model costs): create the session, run the largest batch twice, print one JSON line
 * (MemoryChildResult). Spawned by memory.ts with one JSON argument (MemoryChildRequest).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { createSession, type SessionOptions } from '../runtime/session.js';
import { gpuProcessMemory } from './gpu.js';

export interface MemoryChildRequest {
  path: string;
  inputName: string;
  input: 'float-nchw' | 'float-nhwc' | 'uint8-nhwc';
  /** [C, H, W] */
  shape: [number, number, number];
  batch: number;
  session: SessionOptions;
}

export interface MemoryChildResult {
  /** RSS of the process before the session exists (Node, onnxruntime's library) */
  baseRssMiB: number;
  /** peak RSS of the process over session creation and two runs of the batch */
  peakRssMiB: number;
  /** whether the peak was reset before the session (Linux clear_refs), so start-up transients are not in it */
  peakReset: boolean;
  /** RSS growth from after session creation to after the runs (onnxruntime's CPU arena, activations) */
  arenaGrowthMiB: number;
  provider: string;
  gpu?: { name: string; memoryMiB: number } | { error: string };
}

const MiB = 2 ** 20;

/** VmHWM (the peak RSS) from /proc, else the process's maxRSS. */
function peakMiB(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * Module loading (tsx's transform from source) peaks above a small model's whole footprint; writing 5 to
 * clear_refs resets the peak to the current RSS (Linux ≥ 4.0), so the peak is the model's.
 */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const req = JSON.parse(process.argv[2] ?? '{}') as MemoryChildRequest;
globalThis.gc?.();
const peakReset = resetPeak();
const baseRssMiB = process.memoryUsage().rss / MiB;
const s = await createSession(req.path, req.session);
const created = process.memoryUsage().rss / MiB;
const [c, h, w] = req.shape;
const n = req.batch;
const x =
  req.input === 'uint8-nhwc'
    ? new ort.Tensor('uint8', new Uint8Array(n * h * w * c).map((_, k) => (k * 31) % 256), [n, h, w, c])
    : new ort.Tensor('float32', new Float32Array(n * c * h * w).map((_, k) => Math.sin(k)), req.input === 'float-nhwc' ? [n, h, w, c] : [n, c, h, w]);
for (let k = 0; k < 2; k++) await s.session.run({ [req.inputName]: x });
const after = process.memoryUsage().rss / MiB;
const result: MemoryChildResult = {
  baseRssMiB,
  peakRssMiB: Math.max(peakMiB(), after),
  peakReset,
  arenaGrowthMiB: after - created,
  provider: s.actualEp,
  ...(s.actualEp === 'cuda' ? { gpu: gpuProcessMemory(process.pid, req.session.deviceId ?? 0) } : {}),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
