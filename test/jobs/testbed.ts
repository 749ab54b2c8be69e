/**
 * One queue test file's fixtures: a scratch directory, a real redis-server on a free loopback port and the
 * CLI child processes, all started before the file's tests and gone after them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { cliProcs } from './procs.js';
import { startRedis, type TestRedis } from './redis-server.js';

export function queueTestbed(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `actbench-${name}-`));
  const procs = cliProcs();
  let server: TestRedis | undefined;
  let conn: Redis | undefined;
  before(async () => {
    server = await startRedis();
  });
  after(async () => {
    procs.killAll();
    conn?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  /** the file's redis-server (started by the time any test runs) */
  const redis = (): TestRedis => {
    assert.ok(server, 'the redis-server starts before the tests: use it inside a test or hook');
    return server;
  };
  /** one plain connection to it, for looking at keys (closed before the server stops) */
  const client = (): Redis => (conn ??= new Redis(redis().port, '127.0.0.1'));
  /** the file blobs held in Redis now (src/jobs/queue/blobs.ts) */
  const blobKeys = (): Promise<string[]> => client().keys('actbench:blob:*');
  /** a queue worker on this file's Redis with the scratch directory as --artifacts */
  const worker = (log: string[]) => procs.worker(redis().url, dir, log);
  return { dir, redis, client, blobKeys, ...procs, worker };
}

export type QueueTestbed = ReturnType<typeof queueTestbed>;
