/**
 * Where setup puts things and what it installs: actbench's cache (ACTBENCH_HOME, else the XDG cache dir)
 * holds one directory per variant, laid out like the tfjs-node package expects (deps/lib, deps/include,
 * lib/napi-vN) so the binding's own `$ORIGIN/../../deps/lib` rpath finds the libraries after any rename.
 * The cache sits outside node_modules: `npm ci` wiping node_modules does not force a rebuild.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export type Variant = 'cpu' | 'gpu';

export interface VariantSpec {
  variant: Variant;
  /** the PyPI project whose wheel holds the C-API libraries */
  project: string;
  version: string;
  /** the wheel's extra naming NVIDIA's CUDA/cuDNN wheels (GPU only) */
  cudaExtra?: string;
  npmPackage: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';
  /** rough bytes needed before the wheel's directory can be read: download + unpacked libraries + build */
  diskEstimate: number;
}

export const TF_VERSION = '2.21.0';
const MB = 1e6;

export function variantSpec(variant: Variant, version = TF_VERSION): VariantSpec {
  return variant === 'gpu'
    ? { variant, project: 'tensorflow', version, cudaExtra: 'and-cuda', npmPackage: '@tensorflow/tfjs-node-gpu', diskEstimate: 7000 * MB }
    : { variant, project: 'tensorflow-cpu', version, npmPackage: '@tensorflow/tfjs-node', diskEstimate: 1300 * MB };
}

/** The two C-API libraries in the wheel: together they define every TF_/TFE_ symbol the binding uses. */
export const WHEEL_LIBRARIES = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'] as const;
/** Header root inside the wheel. */
export const WHEEL_INCLUDE = 'tensorflow/include/';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ACTBENCH_HOME) return env.ACTBENCH_HOME;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'actbench');
}

export function tensorflowRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'tensorflow');
}

export function installDir(variant: Variant, env: NodeJS.ProcessEnv = process.env): string {
  return join(tensorflowRoot(env), variant);
}

export const RECORD_FILE = 'record.json';

/** The fix a user is told about, per variant. */
export function setupCommand(variant: Variant): string {
  return variant === 'gpu' ? 'actbench setup tensorflow --gpu' : 'actbench setup tensorflow';
}
