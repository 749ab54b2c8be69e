/**
 * GPU memory and device name from nvidia-smi (no maintained NVML binding exists on npm; onnx.md §2.5).
 * ORT's CUDA arena grows and never shrinks, so memory read after the runs is the peak plus arena slack.
 */
import { spawnSync } from 'node:child_process';

function smi(args: string[]): { ok: true; lines: string[] } | { ok: false; error: string } {
  const r = spawnSync('nvidia-smi', args, { encoding: 'utf8' });
  if (r.error) return { ok: false, error: `nvidia-smi not runnable: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, error: `nvidia-smi exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n')[0]}` };
  return { ok: true, lines: r.stdout.trim().split('\n').map((l) => l.trim()).filter(Boolean) };
}

/** MiB of GPU memory in use on the device (nvidia-smi), or undefined without a GPU. */
export function gpuMemoryMiB(deviceId = 0): number | undefined {
  const r = smi(['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-i', String(deviceId)]);
  if (!r.ok) return undefined;
  const v = Number(r.lines[0]);
  return Number.isFinite(v) ? v : undefined;
}

/** The device's name and the GPU memory one process holds on it, or why it cannot be read. */
export function gpuProcessMemory(pid: number, deviceId = 0): { name: string; memoryMiB: number } | { error: string } {
  const name = smi(['--query-gpu=name', '--format=csv,noheader', '-i', String(deviceId)]);
  if (!name.ok) return { error: name.error };
  const apps = smi(['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits', '-i', String(deviceId)]);
  if (!apps.ok) return { error: apps.error };
  const mine = apps.lines.map((l) => l.split(',').map((v) => Number(v.trim()))).find(([p]) => p === pid);
  // inside a container nvidia-smi may list host pids only: say so rather than report 0
  if (!mine || !Number.isFinite(mine[1])) return { error: `nvidia-smi lists no compute process with pid ${pid} on device ${deviceId} (${name.lines[0]})` };
  return { name: name.lines[0], memoryMiB: mine[1] };
}
