/**
 * Connections to the queue's Redis through ioredis (BullMQ 6 takes its driver as a client factory), and a
 * check that the address answers before any command uses the queue — a refused password or an unreachable
 * host is a coded error naming the URL without its password, not a client retrying forever.
 */
import { createIORedisClient, RedisConnection, type ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { ActbenchError } from '../../errors.js';
import { redact, type QueueAddress } from './url.js';

let installed = false;

function installDriver(): void {
  if (installed) return;
  installed = true;
  // BullMQ's ESM build cannot require() ioredis itself; blocking worker commands need maxRetriesPerRequest null
  RedisConnection.clientFactory = (opts) => createIORedisClient(new Redis({ maxRetriesPerRequest: null, ...(opts as RedisOptions) }));
}

function redisOptions(a: QueueAddress): RedisOptions {
  return { host: a.host, port: a.port, db: a.db, username: a.username, password: a.password, ...(a.tls ? { tls: {} } : {}) };
}

/** Connection options for BullMQ's Queue, Worker and QueueEvents. */
export function bullConnection(a: QueueAddress): ConnectionOptions {
  installDriver();
  return redisOptions(a) as ConnectionOptions;
}

/** A plain client on the queue's Redis (the small-file blobs, ./blobs.ts); errors after connecting are the caller's to handle. */
export function redisClient(a: QueueAddress): Redis {
  const c = new Redis(redisOptions(a));
  c.on('error', () => {}); // reconnects on its own; a command that fails still rejects
  return c;
}

/** One PING, without retries: QUEUE_AUTH_FAILED, QUEUE_UNREACHABLE (both naming the URL without its password). */
export async function checkQueue(a: QueueAddress, timeoutMs = 5000): Promise<void> {
  const c = new Redis({ ...redisOptions(a), retryStrategy: () => null, connectTimeout: timeoutMs, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  // ioredis reports a refused AUTH as an 'error' event and then rejects connect() with "Connection is closed"
  let first: Error | null = null;
  c.on('error', (e: Error) => (first ??= e));
  try {
    await c.connect();
    await c.ping();
  } catch (e) {
    const msg = redact((first ?? (e as Error)).message);
    if (/WRONGPASS|NOAUTH|invalid password|invalid username|AUTH/i.test(msg)) {
      throw new ActbenchError('QUEUE_AUTH_FAILED', `the queue at ${a.display} refused the credentials (${msg}): check the user and password in the URL`, { field: '--queue' });
    }
    throw new ActbenchError('QUEUE_UNREACHABLE', `cannot reach the queue at ${a.display} (${msg}): is redis-server running there, and the port open?`, { field: '--queue' });
  } finally {
    c.disconnect();
  }
}
