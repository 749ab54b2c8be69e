/**
 * Shared plumbing of the native kernels: typed-array access to a tensor's memory in the cpu-style
 * backend, output allocation, and the fallback to the pure-JS kernel of the same name for anything the
 * native kernel does not handle (other dtypes, layouts, attributes).
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { BufferPool } from './buffer-pool.js';

export type Info = tf.TensorInfo;
export interface KernelArgs {
  // required inputs are present (TF.js checks them); optional ones are read as possibly undefined
  inputs: Record<string, Info>;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}
export type KernelImpl = (args: KernelArgs, addon: NativeAddon) => Info | Info[] | null;

/** The float32 values of a tensor, or null (other dtype, complex, not resident) → use the JS kernel. */
export function f32(backend: tf.KernelBackend, t: Info | undefined | null): Float32Array | null {
  if (!t || t.dtype !== 'float32') return null;
  const v = (backend as MathBackendCPU).data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : null;
}

export function u8(backend: tf.KernelBackend, t: Info | undefined | null): Uint8Array | null {
  if (!t || t.dtype !== 'bool') return null;
  const v = (backend as MathBackendCPU).data.get(t.dataId)?.values;
  return v instanceof Uint8Array ? v : null;
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** recycled storage of native kernel outputs (see buffer-pool.ts) */
export const OUTPUTS = new BufferPool();

/** An output array for a native kernel (contents undefined: the kernel writes every element). */
export function alloc(n: number): Float32Array {
  return OUTPUTS.take(n);
}

export function output(backend: tf.KernelBackend, shape: number[], values: Float32Array): Info {
  return (backend as MathBackendCPU).makeTensorInfo(shape, 'float32', values);
}

export function boolOutput(backend: tf.KernelBackend, shape: number[], values: Uint8Array): Info {
  return (backend as MathBackendCPU).makeTensorInfo(shape, 'bool', values);
}

/** per kernel: calls that ran natively, calls that fell back to the cpu kernel */
const stats = new Map<string, { native: number; fallback: number }>();

export function nativeKernelStats(): Record<string, { native: number; fallback: number }> {
  return Object.fromEntries([...stats.entries()].map(([k, v]) => [k, { ...v }]));
}

export function resetNativeKernelStats(): void {
  for (const v of stats.values()) v.native = v.fallback = 0;
}

/**
 * A native kernel config: runs `impl`, or the cpu kernel when impl returns null (actbench's own kernels,
 * which have no cpu twin, throw instead: their callers only pass what they handle).
 */
export function nativeKernel(kernelName: string, impl: KernelImpl, addon: NativeAddon): tf.KernelConfig {
  const fallback: tf.KernelFunc =
    tf.getKernel(kernelName, 'cpu')?.kernelFunc ??
    (() => {
      throw new Error(`native ${kernelName}: unsupported inputs`);
    });
  const count = { native: 0, fallback: 0 };
  stats.set(kernelName, count);
  return {
    kernelName,
    backendName: 'native',
    kernelFunc: ((args: KernelArgs) => {
      const out = impl(args, addon);
      if (out) {
        count.native++;
        return out;
      }
      count.fallback++;
      return fallback(args as Parameters<typeof fallback>[0]);
    }) as tf.KernelFunc,
  };
}
