/**
 * Loads actbench's native kernels (build/Release/actbench_native.node, built from native/ by the package's
 * install script). When the addon is missing or fails to load, `nativeAddon()` returns null and
 * `nativeUnavailableReason()` says why once (including the install script's log), so the caller can fall
 * back to wasm.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Shapes and dims travel as plain number arrays; tensors as their own typed arrays (no copies). */
export interface NativeAddon {
  setThreads(n: number): void;
  threads(): number;
  simd(): string;
  /** the cores' running clock: a dependent-add chain on `threads` threads at once, median of their best of `trials` (0 off x86-64) */
  clockGHz(threads: number, trials: number): number;
  /** dims: N, H, W, Ci, Ho, Wo, Co, KH, KW, sh, sw, dh, dw, padTop, padLeft */
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, dims: number[]): void;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, dims: number[]): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, dims: number[]): void;
  depthwise(x: Float32Array, w: Float32Array, y: Float32Array, dims: number[], mult: number): void;
  depthwiseBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, dims: number[], mult: number): void;
  depthwiseBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, dims: number[], mult: number): void;
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean, batchA: number, batchB: number): void;
  binary(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Float32Array, outShape: number[]): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number, beta: number): void;
  compare(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Uint8Array, outShape: number[]): void;
  logical(op: number, a: Uint8Array, aShape: number[], b: Uint8Array, bShape: number[], out: Uint8Array, outShape: number[]): void;
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, red: number, inner: number): void;
  transpose(x: Float32Array, out: Float32Array, shape: number[], perm: number[]): void;
  tile(x: Float32Array, out: Float32Array, shape: number[], reps: number[]): void;
  pad(x: Float32Array, out: Float32Array, shape: number[], before: number[], outShape: number[], value: number): void;
  slice(x: Float32Array, out: Float32Array, shape: number[], begin: number[], size: number[]): void;
  batchNorm(x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null, scale: Float32Array | null, out: Float32Array, eps: number): void;
  batchNormGrad(x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | null, eps: number, dx: Float32Array, dmean: Float32Array, dvar: Float32Array, dscale: Float32Array, doffset: Float32Array): void;
  select(cond: Uint8Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** dims: N, H, W, C, Ho, Wo, KH, KW, sh, sw, dh, dw, padTop, padLeft */
  maxPool(x: Float32Array, y: Float32Array, dims: number[]): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, dims: number[]): void;
}

/** The package root: this file sits in src/train/native/ or dist/train/native/. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** ACTBENCH_NATIVE_ADDON overrides the location (tests of the fallback use a missing one) */
export const ADDON_PATH = process.env.ACTBENCH_NATIVE_ADDON || join(PACKAGE_ROOT, 'build', 'Release', 'actbench_native.node');
/** written by scripts/build-native.mjs when the build fails */
export const BUILD_LOG = join(PACKAGE_ROOT, 'build', 'native-build.log');

let cached: { addon: NativeAddon | null; reason: string } | undefined;

function load(): { addon: NativeAddon | null; reason: string } {
  if (!existsSync(ADDON_PATH)) {
    const log = existsSync(BUILD_LOG) ? readFileSync(BUILD_LOG, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
    return {
      addon: null,
      reason: `the native addon was not built (${log || `${ADDON_PATH} missing`}); build it with 'npm run build:native' in the actbench package (needs a C++17 compiler, python3 and make)`,
    };
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    const env = process.env.ACTBENCH_THREADS;
    if (env !== undefined && Number(env) > 0) addon.setThreads(Math.floor(Number(env)));
    return { addon, reason: '' };
  } catch (e) {
    return { addon: null, reason: `the native addon failed to load: ${(e as Error).message.split('\n')[0]}; rebuild it with 'npm run build:native'` };
  }
}

export function nativeAddon(): NativeAddon | null {
  cached ??= load();
  return cached.addon;
}

export function nativeUnavailableReason(): string {
  cached ??= load();
  return cached.reason;
}

/** Size of the native thread pool (default: the number of cores, or ACTBENCH_THREADS). */
export function setNativeThreads(n: number): void {
  nativeAddon()?.setThreads(Math.max(1, Math.floor(n)));
}

export function nativeThreads(): number {
  return nativeAddon()?.threads() ?? 0;
}
