/**
 * TF.js backend choice at run time: tfjs-node-gpu → actbench's native addon (native/, built at install;
 * src/train/native/) → tfjs-node → wasm (with the training kernels it lacks registered by wasm-kernels.ts)
 * → the pure-JS cpu backend.
 * Native comes before tfjs-node on the CPU because it measured faster in every same-run benchmark
 * (reports/bench-training.md: ResNet-20 2.3×, cnn_small 2.2× tfjs-node's img/s, batch 128, 2 threads);
 * `--backend tensorflow` still picks tfjs-node.
 * tfjs-node(-gpu) load with the binding `actbench setup tensorflow` built into actbench's cache (their own
 * install scripts are denied: they download from an unreachable host). A backend that is not set up just
 * moves on to the next candidate; the choice, the reasons for skipping the others and the one command
 * that gets the fast backend are always reported.
 */
import * as tf from '@tensorflow/tfjs';
import { ActbenchError } from '../errors.js';
import { requireWithBinding } from '../setup/load.js';
import { setupCommand } from '../setup/paths.js';
import { notReadyError, nvidiaDriverPresent, tensorflowStatus } from '../setup/status.js';
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
  /** what runs underneath, e.g. 'TensorFlow 2.21.0 (@tensorflow/tfjs-node 4.22.0)' */
  version: string;
  /** the one command that would get a faster backend, when one was skipped for not being set up */
  hint?: string;
}

const ORDER: readonly BackendName[] = ['tensorflow-gpu', 'native', 'tensorflow', 'wasm', 'cpu'];

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

/** Load tfjs-node(-gpu) through the cached binding; returns what runs underneath. */
function activateTensorflow(variant: 'cpu' | 'gpu'): string {
  // both packages register the backend id 'tensorflow': only the first one loaded counts
  const loaded = tensorflowLoaded;
  if (loaded && loaded !== variant) throw new Error(`tensorflow-${loaded === 'gpu' ? 'gpu' : 'cpu'} is already loaded in this process`);
  if (variant === 'gpu' && !nvidiaDriverPresent()) throw new ActbenchError('TF_NO_GPU', 'no NVIDIA driver on this machine (/proc/driver/nvidia/version is missing)', { field: 'backend' });
  const s = tensorflowStatus(variant);
  if (!s.ready) throw notReadyError(s);
  // TF's INFO lines (oneDNN, CPU features) are noise on every run; the user's setting wins
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  if (!loaded) requireWithBinding(s.pkg.dir, s.binding);
  tensorflowLoaded = variant;
  return `TensorFlow ${s.record.check.tfVersion} (${s.pkg.name} ${s.pkg.version})`;
}
let tensorflowLoaded: 'cpu' | 'gpu' | null = null;

async function activate(name: BackendName): Promise<string> {
  let version = `TF.js ${tf.version_core}`;
  switch (name) {
    case 'tensorflow-gpu':
      version = activateTensorflow('gpu');
      break;
    case 'tensorflow':
      version = activateTensorflow('cpu');
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
  return version;
}

/**
 * Select and activate a backend. `purpose: 'train'` skips wasm unless its training kernels are
 * registered; `'infer'` accepts it as is.
 */
export async function selectBackend(request: BackendRequest = 'auto', purpose: 'train' | 'infer' = 'train'): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  const candidates = request === 'auto' ? ORDER : [request];
  let hint: string | undefined;
  for (const name of candidates) {
    try {
      const version = await activate(name);
      const canTrain = name !== 'wasm' || wasmCanTrain();
      if (purpose === 'train' && !canTrain && request === 'auto') {
        skipped.push({ name, reason: `missing training kernels ${WASM_TRAINING_KERNELS.join(', ')}` });
        continue;
      }
      return { name, tfBackend: tf.getBackend(), skipped, canTrain, version, ...(hint ? { hint } : {}) };
    } catch (e) {
      const err = e as Error & { code?: string };
      if (request !== 'auto' && e instanceof ActbenchError) throw e; // already says what is missing and the fix
      const reason = err.code === 'ERR_MODULE_NOT_FOUND' ? 'not installed (optional dependency)' : err.message.split('\n')[0];
      if (request !== 'auto') throw new ActbenchError('TFJS_BACKEND_UNAVAILABLE', `TF.js backend '${name}' is not available: ${reason}`, { field: 'backend' });
      if (name === 'tensorflow' && err.code === 'TF_NOT_SET_UP') hint = `for the fast backend run: ${setupCommand('cpu')}`;
      skipped.push({ name, reason: err.code === 'TF_NOT_SET_UP' || err.code === 'TF_NO_GPU' ? reason.replace(/^TF\.js backend '[^']+' is not available: /, '').replace(/\. Fix: .*$/, '') : reason });
    }
  }
  throw new ActbenchError('TFJS_NO_BACKEND', 'no TF.js backend could be activated', { field: 'backend' });
}

export function describeBackend(c: BackendChoice): string {
  const skipped = c.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  return `TF.js backend: ${c.name}, ${c.version}${skipped ? ` (skipped ${skipped})` : ''}${c.hint ? `; ${c.hint}` : ''}`;
}
