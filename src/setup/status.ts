/** Is a tfjs-node variant usable, and if not, what is missing and which one command fixes it. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ActbenchError } from '../errors.js';
import { findPackage, type TfjsNodePackage } from './package.js';
import { installDir, setupCommand, TF_VERSION, variantSpec, type Variant } from './paths.js';
import { readRecord, staleReason, type SetupRecord } from './record.js';

export type TensorflowStatus =
  | { ready: true; variant: Variant; dir: string; binding: string; pkg: TfjsNodePackage; record: SetupRecord }
  | { ready: false; variant: Variant; reason: string; fix: string; code: string };

export function tensorflowStatus(variant: Variant, env: NodeJS.ProcessEnv = process.env): TensorflowStatus {
  const spec = variantSpec(variant, TF_VERSION);
  let pkg: TfjsNodePackage;
  try {
    pkg = findPackage(spec);
  } catch (e) {
    return { ready: false, variant, reason: `${spec.npmPackage} is not in node_modules`, fix: 'npm install', code: (e as ActbenchError).code ?? 'TF_PACKAGE_MISSING' };
  }
  const dir = installDir(variant, env);
  const record = readRecord(dir);
  const why = staleReason(dir, record, { variant, version: spec.version, tfjsNodeVersion: pkg.version, napi: pkg.napi });
  if (why !== null || !record) {
    return { ready: false, variant, reason: `libtensorflow is not set up (${why === 'not set up' ? `nothing in ${dir}` : why})`, fix: setupCommand(variant), code: 'TF_NOT_SET_UP' };
  }
  return { ready: true, variant, dir, binding: join(dir, record.files.binding), pkg, record };
}

/** A GPU this process could use: the NVIDIA kernel driver is loaded. */
export function nvidiaDriverPresent(): boolean {
  return existsSync('/proc/driver/nvidia/version');
}

export function notReadyError(s: Extract<TensorflowStatus, { ready: false }>): ActbenchError {
  return new ActbenchError(s.code, `TF.js backend '${s.variant === 'gpu' ? 'tensorflow-gpu' : 'tensorflow'}' is not available: ${s.reason}. Fix: ${s.fix}`, { field: 'backend' });
}
