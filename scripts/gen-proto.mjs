#!/usr/bin/env node
/**
 * Generates the ONNX protobuf code (generated/proto/onnx.js and onnx.d.ts) from src/onnx/proto/onnx.proto
 * with protobufjs-cli. Run by `npm run build` (so `npm ci`, whose `prepare` builds, makes it on a fresh
 * clone), and with --if-stale by `npm test` / `npm run typecheck`: then it does nothing when the stamp
 * says the files were made from this onnx.proto with these options. Both src/ (through tsx) and dist/
 * import it from the same place (src/onnx/proto/onnx.ts re-exports it), so nothing is copied.
 * The outputs are written to temporary names and renamed, so a killed run leaves no half-written file.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const proto = join(root, 'src/onnx/proto/onnx.proto');
const out = join(root, 'generated/proto');
const js = join(out, 'onnx.js');
const dts = join(out, 'onnx.d.ts');
const stamp = join(out, 'onnx.stamp');
// es6 static module without verify/convert/delimited code: what the writer and readers use, nothing more
const PBJS_ARGS = ['-t', 'static-module', '-w', 'es6', '--no-verify', '--no-delimited', '--no-convert', '--force-number'];

const require = createRequire(import.meta.url);
let cli;
try {
  cli = require('protobufjs-cli');
} catch {
  console.error('gen-proto: protobufjs-cli is not installed (a devDependency): run npm ci, or npm install --include=dev');
  process.exit(1);
}
const version = require('protobufjs-cli/package.json').version;
const want = createHash('sha256').update(readFileSync(proto)).update(JSON.stringify({ PBJS_ARGS, version })).digest('hex');

if (process.argv.includes('--if-stale') && existsSync(js) && existsSync(dts) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want) process.exit(0);

const run = (tool, args) =>
  new Promise((resolve, reject) => tool.main(args, (err, output) => (err ? reject(err) : resolve(output ?? ''))));

mkdirSync(out, { recursive: true });
const tmpJs = join(out, `.onnx.${process.pid}.js`);
try {
  writeFileSync(tmpJs, await run(cli.pbjs, [...PBJS_ARGS, proto]));
  const types = await run(cli.pbts, [tmpJs]);
  writeFileSync(`${dts}.${process.pid}.tmp`, types);
  renameSync(`${dts}.${process.pid}.tmp`, dts);
  renameSync(tmpJs, js);
  writeFileSync(stamp, want + '\n');
} catch (e) {
  rmSync(tmpJs, { force: true });
  rmSync(`${dts}.${process.pid}.tmp`, { force: true });
  console.error(`gen-proto: could not generate generated/proto/onnx.js: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
console.error(`gen-proto: wrote generated/proto/onnx.js and onnx.d.ts from src/onnx/proto/onnx.proto`);
