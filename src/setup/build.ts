/**
 * Build the tfjs-node(-gpu) binding from the package's own sources (binding.gyp, binding/*.cc) with
 * node-gyp, offline, inside the install directory: deps/lib holds the wheel's libraries plus the link
 * names binding.gyp asks for (-ltensorflow → libtensorflow_cc.so.2), deps/include the headers.
 */
import { spawn } from 'node:child_process';
import { cpSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ActbenchError } from '../errors.js';
import type { Toolchain } from './preflight.js';

/** Link-time names → the wheel's files (the binding records the SONAMEs, so these are build-only). */
export const LINK_NAMES: Record<string, string> = {
  'libtensorflow.so': 'libtensorflow_cc.so.2',
  'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
};

export function bindingRelPath(napi: number): string {
  return join('lib', `napi-v${napi}`, 'tfjs_binding.node');
}

export async function buildBinding(o: { pkgDir: string; root: string; napi: number; tools: Toolchain; log?: (s: string) => void }): Promise<string> {
  cpSync(join(o.pkgDir, 'binding.gyp'), join(o.root, 'binding.gyp'));
  cpSync(join(o.pkgDir, 'binding'), join(o.root, 'binding'), { recursive: true });
  for (const [link, target] of Object.entries(LINK_NAMES)) symlinkSync(target, join(o.root, 'deps', 'lib', link));
  const modulePath = join(o.root, 'lib', `napi-v${o.napi}`);
  const args = [
    o.tools.nodeGyp, 'rebuild', `--nodedir=${o.tools.nodedir}`, '--module_name=tfjs_binding', `--module_path=${modulePath}`,
    `--napi_build_version=${o.napi}`, `-j`, String(availableParallelism()),
  ];
  const env = { ...process.env, npm_config_nodedir: o.tools.nodedir, CXX: o.tools.cxx, MAKE: o.tools.make, npm_config_offline: 'true' };
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: o.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', (e) => resolve({ code: 127, output: out + e.message }));
    child.on('close', (c) => resolve({ code: c ?? 1, output: out }));
  });
  if (code !== 0) {
    const tail = output.trim().split('\n').filter((l) => !/^gyp info/.test(l)).slice(-15).join('\n');
    throw new ActbenchError('TF_BUILD_FAILED', `node-gyp could not build the binding in ${o.root} (exit ${code}):\n${tail}`, { file: join(o.root, 'binding.gyp') });
  }
  // object files and the gyp makefiles are not needed at run time
  rmSync(join(o.root, 'build'), { recursive: true, force: true });
  for (const link of Object.keys(LINK_NAMES)) rmSync(join(o.root, 'deps', 'lib', link), { force: true });
  return join(o.root, bindingRelPath(o.napi));
}
