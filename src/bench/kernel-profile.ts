/**
 * Per-kernel wall time of a TF.js backend: wraps every kernel registered for it with a timer (the cpu, wasm
 * and native backends run kernels synchronously, so the time of kernelFunc is the kernel's time).
 */
import * as tf from '@tensorflow/tfjs';

export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
}

export interface KernelProfiler {
  /** times since the last reset, largest first */
  report(): KernelTime[];
  reset(): void;
  /** put the original kernels back */
  restore(): void;
}

export function profileKernels(backendName: string): KernelProfiler {
  const originals = tf.getKernelsForBackend(backendName);
  const acc = new Map<string, { calls: number; ms: number }>();
  for (const k of originals) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const t0 = performance.now();
        const out = inner(args);
        const e = acc.get(k.kernelName) ?? { calls: 0, ms: 0 };
        e.calls++;
        e.ms += performance.now() - t0;
        acc.set(k.kernelName, e);
        return out;
      },
    });
  }
  return {
    report: () => [...acc.entries()].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms),
    reset: () => acc.clear(),
    restore: () => {
      for (const k of originals) {
        tf.unregisterKernel(k.kernelName, backendName);
        tf.registerKernel(k);
      }
    },
  };
}
