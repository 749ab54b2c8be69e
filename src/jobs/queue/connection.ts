/**
 * Connections to the queue's Redis: BullMQ is given RespClient (./resp-client.ts) as its driver, and every
 * command that uses a queue first checks the address answers — a refused password or an unreachable host
 * is a coded error naming the URL without its password, not a client retrying forever.
 */
import { createIORedisClient, RedisConnection, type ConnectionOptions } from 'bullmq';
import { ActbenchError } from '../../errors.js';
import { RespClient, type RespOptions } from './resp-client.js';
import { redact, type QueueAddress } from './url.js';

let installed = false;

/** BullMQ's driver: RespClient in ioredis clothing (BullMQ 6 has no driver of its own). */
function installDriver(): void {
  if (installed) return;
  installed = true;
  RedisConnection.clientFactory = (opts) => createIORedisClient(new RespClient(opts as unknown as RespOptions) as never);
}

function respOptions(a: QueueAddress): RespOptions {
  return { host: a.host, port: a.port, db: a.db, tls: a.tls || undefined, username: a.username, password: a.password };
}

/** Connection options for BullMQ's Queue, Worker and QueueEvents. */
export function bullConnection(a: QueueAddress): ConnectionOptions {
  installDriver();
  return respOptions(a) as unknown as ConnectionOptions;
}

/** One PING, without retries: QUEUE_AUTH_FAILED, QUEUE_UNREACHABLE (both naming the URL without its password). */
export async function checkQueue(a: QueueAddress, timeoutMs = 5000): Promise<void> {
  const c = new RespClient({ ...respOptions(a), retryStrategy: () => null, connectTimeout: timeoutMs, lazyConnect: true });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.call('ping');
  } catch (e) {
    const msg = redact((e as Error).message);
    if (/WRONGPASS|NOAUTH|invalid password|invalid username|AUTH/i.test(msg)) {
      throw new ActbenchError('QUEUE_AUTH_FAILED', `the queue at ${a.display} refused the credentials (${msg}): check the user and password in the URL`, { field: '--queue' });
    }
    throw new ActbenchError('QUEUE_UNREACHABLE', `cannot reach the queue at ${a.display} (${msg}): is redis-server running there, and the port open?`, { field: '--queue' });
  } finally {
    c.disconnect();
  }
}
