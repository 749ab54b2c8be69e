// Starts a worker thread on a module given in workerData.entry. From source (tsx) the entry is a .ts file
// and the worker registers tsx's loader itself (execArgv --import does not reach workers in Node 20);
// from dist/ it is plain JS.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
