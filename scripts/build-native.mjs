#!/usr/bin/env node
/**
 * Builds actbench's native TF.js kernels (native/*.cc → build/Release/actbench_native.node) with node-gyp.
 * Run by `npm install` (the package's install script) and by `npm run build:native`. Offline-safe: it
 * uses the node-gyp bundled with npm and Node's own headers when they sit next to the node binary (Debian's
 * /usr/include/node, official tarballs' include/node). A failed build does not fail `npm install` (unless
 * --strict): the reason goes to build/native-build.log and actbench falls back to wasm, saying why.
 * ACTBENCH_SKIP_NATIVE=1 skips the build; ACTBENCH_NATIVE_MARCH=generic builds without -march=native.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');
const log = join(root, 'build', 'native-build.log');

function fail(reason, detail = '') {
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, `${detail}\nnative build failed: ${reason}\n`);
  console.error(`actbench: native kernels not built (${reason}); training falls back to wasm. Details: ${log}`);
  process.exit(strict ? 1 : 0);
}

if (process.env.ACTBENCH_SKIP_NATIVE === '1') fail('ACTBENCH_SKIP_NATIVE=1');

function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a local dependency: use npm's
  }
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c && existsSync(c));
}

const gyp = findNodeGyp();
if (!gyp) fail('node-gyp not found (it ships with npm)');

const args = [gyp, 'rebuild', '--jobs=max'];
// local headers avoid node-gyp's download (which needs the network)
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

rmSync(log, { force: true });
const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: process.env });
const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
if (r.error) fail(r.error.message, output);
if (r.status !== 0) {
  const lines = output.split('\n').filter((l) => /error/i.test(l) && !/^gyp info/.test(l));
  fail(lines.slice(0, 3).join(' | ') || `node-gyp exited with ${r.status}`, output);
}
if (!existsSync(join(root, 'build', 'Release', 'actbench_native.node'))) fail('node-gyp succeeded but build/Release/actbench_native.node is missing', output);
console.error('actbench: native kernels built (build/Release/actbench_native.node)');
