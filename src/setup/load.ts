/**
 * Load tfjs-node(-gpu) with the binding from actbench's cache. The package's entry asks
 * @mapbox/node-pre-gyp's `find()` where its binding is (inside node_modules, where nothing was built);
 * for the duration of the require, that one answer is redirected to the cached binding, so node_modules
 * is never written to and `npm ci` cannot invalidate the build.
 */
import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface PreGyp {
  find: (packageJson: string, opts?: unknown) => string;
}

export function requireWithBinding<T = unknown>(pkgDir: string, bindingPath: string): T {
  // the package's entry asks with its real path (node_modules may be a symlink)
  const ours = realpathSync(join(pkgDir, 'package.json'));
  const req = createRequire(ours);
  // node-pre-gyp's `find` is a getter for its pre-binding module's export: patch that one
  const preGyp = req('@mapbox/node-pre-gyp') as PreGyp;
  const holder = req(join(dirname(req.resolve('@mapbox/node-pre-gyp')), 'pre-binding.js')) as PreGyp;
  const original = holder.find;
  const redirect: PreGyp['find'] = (p, opts) => (realpathSync(p) === ours ? bindingPath : original.call(holder, p, opts));
  holder.find = redirect;
  if (preGyp.find !== redirect) {
    holder.find = original;
    throw new Error('@mapbox/node-pre-gyp has an unexpected layout: cannot point tfjs-node at the cached binding');
  }
  try {
    return req(dirname(ours)) as T;
  } finally {
    holder.find = original;
  }
}

/** The same thing as a standalone CommonJS program, for checking a build in a child process. */
export function checkProgram(pkgDir: string, bindingPath: string): string {
  return `
const { createRequire } = require('node:module');
const path = require('node:path');
const fs = require('node:fs');
const ours = fs.realpathSync(path.join(${JSON.stringify(pkgDir)}, 'package.json')), binding = ${JSON.stringify(bindingPath)};
const req = createRequire(ours);
const holder = req(path.join(path.dirname(req.resolve('@mapbox/node-pre-gyp')), 'pre-binding.js'));
const original = holder.find;
holder.find = (p, o) => (fs.realpathSync(p) === ours ? binding : original.call(holder, p, o));
const tf = req(path.dirname(ours));
holder.find = original;
const b = require(binding);
const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]));
process.stdout.write('\\nACTBENCH_CHECK ' + JSON.stringify({ tfVersion: b.TF_Version, matMul: Array.from(y.dataSync()), backend: tf.getBackend(), gpu: !!(b.isUsingGpuDevice && b.isUsingGpuDevice()) }) + '\\n');
`;
}
