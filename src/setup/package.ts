/** Where npm put @tensorflow/tfjs-node(-gpu), its version, and the N-API version its loader asks for. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { ActbenchError } from '../errors.js';
import type { VariantSpec } from './paths.js';

export interface TfjsNodePackage {
  name: string;
  dir: string;
  version: string;
  napi: number;
}

/** The highest N-API version the package builds for that this Node supports (node-pre-gyp's rule). */
export function bestNapi(versions: readonly number[], nodeNapi: number): number {
  const ok = versions.filter((v) => v <= nodeNapi);
  if (!ok.length) throw new ActbenchError('TF_NAPI', `the binding needs N-API ${Math.min(...versions)}+, this Node has ${nodeNapi}`, { field: 'napi' });
  return Math.max(...ok);
}

export function findPackage(spec: Pick<VariantSpec, 'npmPackage' | 'variant'>, from: string = import.meta.url): TfjsNodePackage {
  let pj: string;
  try {
    pj = createRequire(from).resolve(`${spec.npmPackage}/package.json`);
  } catch {
    throw new ActbenchError(
      'TF_PACKAGE_MISSING',
      `${spec.npmPackage} is not installed: it is an optional dependency of actbench (its own install script is denied in package.json "allowScripts"); run npm install`,
      { field: spec.npmPackage },
    );
  }
  const p = JSON.parse(readFileSync(pj, 'utf8')) as { version: string; binary?: { napi_versions?: number[] } };
  return { name: spec.npmPackage, dir: dirname(pj), version: p.version, napi: bestNapi(p.binary?.napi_versions ?? [8], Number(process.versions.napi)) };
}
