/**
 * What the build needs besides the wheel, checked before a 261 MiB download: a C++ compiler and make,
 * Node's own headers (node-gyp is run offline, so it must not try to download them), node-gyp, disk.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { ActbenchError } from '../errors.js';

export interface Toolchain {
  cxx: string;
  make: string;
  nodedir: string;
  nodeGyp: string;
}

function runs(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore', timeout: 20_000 });
  return !r.error && r.status === 0;
}

export function findCompiler(env: NodeJS.ProcessEnv = process.env): { cxx: string; make: string } {
  const cxxs = env.CXX ? [env.CXX] : ['c++', 'g++', 'clang++'];
  const cxx = cxxs.find(runs);
  if (!cxx) throw new ActbenchError('TF_NO_COMPILER', `no C++ compiler (tried ${cxxs.join(', ')}${env.CXX ? ' from CXX' : ''}): install one (apt-get install g++ make)`, { field: 'CXX' });
  const make = env.MAKE ?? 'make';
  if (!runs(make)) throw new ActbenchError('TF_NO_COMPILER', `no '${make}' (node-gyp builds with make): install it (apt-get install make)`, { field: 'MAKE' });
  return { cxx, make };
}

/** Node's headers: npm_config_nodedir if set, else the prefix of this node binary (Debian: /usr). */
export function findNodeHeaders(env: NodeJS.ProcessEnv = process.env): string {
  const nodedir = env.npm_config_nodedir || env.NPM_CONFIG_NODEDIR || dirname(dirname(process.execPath));
  const header = join(nodedir, 'include', 'node', 'node_api.h');
  if (!existsSync(header)) {
    throw new ActbenchError(
      'TF_NO_NODE_HEADERS',
      `Node's headers are missing (${header} not found): install the headers of node ${process.version} (Debian: apt-get install nodejs-dev or libnode-dev) and set npm_config_nodedir to their prefix`,
      { file: header },
    );
  }
  return nodedir;
}

/** node-gyp: the project's own, npm's bundled copy, or one on PATH. */
export function findNodeGyp(env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  if (env.npm_config_node_gyp) candidates.push(env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not a dependency: fall through to npm's copy */
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const npm = join(dir, 'npm');
    if (existsSync(npm)) {
      try {
        candidates.push(join(dirname(dirname(realpathSync(npm))), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
      } catch {
        /* dangling link */
      }
    }
  }
  candidates.push(join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const hit = candidates.find((c) => existsSync(c));
  if (!hit) throw new ActbenchError('TF_NO_NODE_GYP', `node-gyp not found (looked at ${candidates.join(', ')}): it ships with npm; reinstall npm or run npm install -g node-gyp`, { field: 'node-gyp' });
  return hit;
}

export function findToolchain(env: NodeJS.ProcessEnv = process.env): Toolchain {
  const { cxx, make } = findCompiler(env);
  return { cxx, make, nodedir: findNodeHeaders(env), nodeGyp: findNodeGyp(env) };
}

export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

const mb = (n: number) => `${Math.ceil(n / 1e6)} MB`;

export function ensureDisk(dir: string, need: number, what: string): void {
  const free = freeBytes(dir);
  if (free < need) throw new ActbenchError('TF_DISK_SPACE', `${what} needs ${mb(need)} free in ${dir}, only ${mb(free)} is free: free some space or set ACTBENCH_HOME to another disk`, { file: dir });
}
