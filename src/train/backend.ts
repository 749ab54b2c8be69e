/**
 * TF.js backend choice at run time: tfjs-node-gpu → tfjs-node → actbench's native addon (native/, built at
 * install; src/train/native/) → wasm (with the training kernels it lacks
 * registered by wasm-kernels.ts) → the pure-JS cpu backend.
 * The native packages are optional dependencies that cannot install offline; a failed import just moves
 * on to the next candidate. The choice and the reasons for skipping the others are always reported.
 */
import * as tf from '@tensorflow/tfjs';
import { ActbenchError } from '../errors.js';
import { registerNativeBackend } from './native/backend.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'native' | 'wasm' | 'cpu';
export type BackendRequest = BackendName | 'auto';

export interface BackendChoice {
  name: BackendName;
  /** the TF.js backend id (tfjs-node and tfjs-node-gpu both register 'tensorflow') */
  tfBackend: string;
  skipped: { name: BackendName; reason: string }[];
  canTrain: boolean;
}

const ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu'];

export function parseBackend(v: string): BackendRequest {
  if (v !== 'auto' && !(ORDER as readonly string[]).includes(v)) {
    throw new ActbenchError('TFJS_BAD_BACKEND', `--backend must be one of auto, ${ORDER.join(', ')}, got '${v}'`, { field: 'backend' });
  }
  return v as BackendRequest;
}

/** Kernels wasm must have before it can train a conv net (tfjs.md: it ships without them). */
export const WASM_TRAINING_KERNELS = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'] as const;

export function wasmCanTrain(): boolean {
  const have = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  return WASM_TRAINING_KERNELS.every((k) => have.has(k));
}

async function activate(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
      await import(/* optional */ '@tensorflow/tfjs-node-gpu' as string);
      break;
    case 'tensorflow':
      await import(/* optional */ '@tensorflow/tfjs-node' as string);
      break;
    case 'native':
      // throws with the reason (not built, failed to load) when the addon is unavailable
      registerNativeBackend();
      break;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      registerWasmTrainingKernels();
      break;
    case 'cpu':
      break;
  }
  const id = name.startsWith('tensorflow') ? 'tensorflow' : name;
  if (!(await tf.setBackend(id))) throw new Error(`tf.setBackend('${id}') failed`);
  await tf.ready();
}

/**
 * Select and activate a backend. `purpose: 'train'` skips wasm unless its training kernels are
 * registered; `'infer'` accepts it as is.
 */
export async function selectBackend(request: BackendRequest = 'auto', purpose: 'train' | 'infer' = 'train'): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  const candidates = request === 'auto' ? ORDER : [request];
  for (const name of candidates) {
    try {
      await activate(name);
      const canTrain = name !== 'wasm' || wasmCanTrain();
      if (purpose === 'train' && !canTrain && request === 'auto') {
        skipped.push({ name, reason: `missing training kernels ${WASM_TRAINING_KERNELS.join(', ')}` });
        continue;
      }
      return { name, tfBackend: tf.getBackend(), skipped, canTrain };
    } catch (e) {
      const err = e as Error & { code?: string };
      const reason = err.code === 'ERR_MODULE_NOT_FOUND' ? 'not installed (optional dependency)' : err.message.split('\n')[0];
      if (request !== 'auto') throw new ActbenchError('TFJS_BACKEND_UNAVAILABLE', `TF.js backend '${name}' is not available: ${reason}`, { field: 'backend' });
      skipped.push({ name, reason });
    }
  }
  throw new ActbenchError('TFJS_NO_BACKEND', 'no TF.js backend could be activated', { field: 'backend' });
}

export function describeBackend(c: BackendChoice): string {
  const skipped = c.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  return `TF.js backend: ${c.name}${skipped ? ` (skipped ${skipped})` : ''}`;
}
