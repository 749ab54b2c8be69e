/** The CommonJS entry (`require('actbench')`): the ES module API, loaded asynchronously (see index.cjs). */
declare const actbench: {
  /** the whole API: the same module object `import('actbench')` gives */
  load(): Promise<typeof import('./index.js')>;
};
export = actbench;
