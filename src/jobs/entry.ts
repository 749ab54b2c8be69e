/**
 * The one job entry: a child process started on this module runs one job of any kind (./kinds) — for the
 * local executor and for queue workers alike. Fixed inside the package, never the running script (the caller's own entry), so a
 * library call from a user's script never re-runs that script. Started with --pool, the child serves job after job.
 */
import { ActbenchError } from '../errors.js';
import { handlerOf, JOB_KINDS, type JobContext, type JobKind } from './kinds/index.js';
import { POOL_FLAG } from './protocol.js';
import { serveJob } from './serve.js';

export interface EntryRequest {
  kind: JobKind;
  input: unknown;
  ctx?: JobContext;
}

serveJob<EntryRequest, unknown>(async (req, log) => {
  if (!JOB_KINDS.includes(req.kind)) throw new ActbenchError('JOB_UNKNOWN_KIND', `unknown job kind '${String(req.kind)}' (known: ${JOB_KINDS.join(', ')}); is the worker's actbench the same version as the coordinator's?`, { field: 'kind' });
  const handler = await handlerOf(req.kind);
  return handler(req.input as never, log, req.ctx ?? {});
}, { many: process.argv.includes(POOL_FLAG) });
