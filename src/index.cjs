'use strict';
/**
 * actbench's CommonJS entry: what `require('actbench')` gives. actbench is an ES module, and its module graph
 * has top-level await (backend and runtime set-up), which require() cannot load on any Node 20 — older
 * releases cannot require() ES modules at all, and 20.19+ refuse graphs with top-level await
 * (ERR_REQUIRE_ASYNC_MODULE). So this entry gives the whole API asynchronously, the same module object
 * `import('actbench')` gives:
 *
 *   const { load } = require('actbench');
 *   const actbench = await load();
 *   await actbench.runBench(['model.onnx'], { results: 'results.jsonl' });
 */
let loading;

/** @returns {Promise<typeof import('./index.js')>} */
function load() {
  loading ??= import('./index.js');
  return loading;
}

module.exports = { load };
