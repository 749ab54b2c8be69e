/**
 * The 'native' TF.js backend: the pure-JS cpu backend's class and tensor storage (JS typed arrays), every
 * cpu kernel registered under 'native' too, and the hot training kernels replaced by C++ ones that work on
 * those typed arrays in place (see native/ and the kernel tables here). A kernel case the native code does
 * not cover (dtype, layout, attribute) runs the cpu kernel of the same name.
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { nativeAddon, nativeUnavailableReason } from './addon.js';
import { OUTPUTS } from './util.js';
import { CONV_KERNELS } from './conv.js';
import { ELEMENTWISE_KERNELS } from './elementwise.js';
import { GRADIENT_KERNELS, registerNativeGradients } from './gradients.js';
import { SHAPE_KERNELS } from './shape-ops.js';
import { nativeKernel } from './util.js';

export const NATIVE_BACKEND = 'native';

class NativeBackend extends MathBackendCPU {
  constructor() {
    super();
    // the cpu backend's first write prints "install tfjs-node to speed things up": not for this one
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    // a view of pooled memory (a JS kernel's subarray of its input) must not outlive its owner: copy it
    if (values instanceof Float32Array && OUTPUTS.isPooled(values) && !OUTPUTS.claim(values)) values = values.slice();
    return super.write(values, shape, dtype);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const done = super.disposeData(dataId, force);
    if (values instanceof Float32Array && !this.data.has(dataId)) OUTPUTS.give(values);
    return done;
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const v = super.readSync(dataId);
    // callers may keep what they read past the tensor's life; never hand them recyclable memory
    return v instanceof Float32Array && OUTPUTS.isPooled(v) ? v.slice() : v;
  }

  override async read(dataId: tf.DataId): Promise<tf.backend_util.BackendValues> {
    return this.readSync(dataId);
  }
}

/** Names of the kernels that run natively (the rest run the cpu backend's JS). */
export const NATIVE_KERNEL_NAMES: readonly string[] = Object.keys({ ...CONV_KERNELS, ...ELEMENTWISE_KERNELS, ...SHAPE_KERNELS, ...GRADIENT_KERNELS });

let registered = false;

/** Register the backend and its kernels once; throws with the reason when the addon is unavailable. */
export function registerNativeBackend(): void {
  if (registered) return;
  const addon = nativeAddon();
  if (!addon) throw new Error(nativeUnavailableReason());
  // priority 0: never chosen implicitly over cpu/wasm, only through setBackend('native')
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 0);
  for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
  for (const [name, impl] of Object.entries({ ...CONV_KERNELS, ...ELEMENTWISE_KERNELS, ...SHAPE_KERNELS, ...GRADIENT_KERNELS })) {
    if (tf.getKernel(name, NATIVE_BACKEND)) tf.unregisterKernel(name, NATIVE_BACKEND);
    tf.registerKernel(nativeKernel(name, impl, addon));
  }
  registerNativeGradients();
  registered = true;
}
