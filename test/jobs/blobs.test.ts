/**
 * Small files through Redis (issue 11) against a real redis-server: a round trip keyed by content with a
 * TTL, damaged or expired blobs refused, and the stated size limit as a coded error asking for --artifacts —
 * both for a file put directly and for a job's model on the queue executor (refused before it is queued).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { BLOB_LIMIT_BYTES, BLOB_TTL_SECONDS, blobKey, BlobStore } from '../../src/jobs/queue/blobs.js';
import { queueExecutor } from '../../src/jobs/queue/executor.js';
import { queueStatus } from '../../src/jobs/queue/status.js';
import { parseQueueUrl } from '../../src/jobs/queue/url.js';
import { coded } from '../coded.js';
import { queueTestbed } from './testbed.js';

const { dir, redis, client, blobKeys } = queueTestbed('blobs');


describe('blobs through Redis', () => {
  it('a file round-trips under its sha256 with a TTL; damaged or gone is QUEUE_ARTIFACT_MISSING; drop deletes', async () => {
    const blobs = new BlobStore(new Redis(redis().port, '127.0.0.1'));
    const file = join(dir, 'm.onnx');
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, k) => (k * 31 + 7) % 256));
    writeFileSync(file, bytes);
    const sha = await blobs.putFile(file);
    assert.equal(sha, createHash('sha256').update(bytes).digest('hex'));
    assert.ok((await blobs.get(sha, 'm.onnx')).equals(bytes));
    const ttl = await client().ttl(blobKey(sha));
    assert.ok(ttl > BLOB_TTL_SECONDS - 60 && ttl <= BLOB_TTL_SECONDS, `ttl ${ttl}`);
    // the same content again: the same key
    assert.equal(await blobs.put(Uint8Array.from(bytes), 'again'), sha);
    await client().set(blobKey(sha), Buffer.from('tampered'));
    await assert.rejects(blobs.get(sha, 'm.onnx'), coded('QUEUE_ARTIFACT_MISSING', /damaged/));
    await blobs.drop([sha]);
    assert.equal(await client().exists(blobKey(sha)), 0);
    await assert.rejects(blobs.get(sha, 'm.onnx'), coded('QUEUE_ARTIFACT_MISSING', /no longer/));
    await blobs.close();
  });
  it('over 16 MiB: QUEUE_ARTIFACT_TOO_BIG naming the file, the limit and --artifacts; on the executor nothing is queued', async () => {
    assert.equal(BLOB_LIMIT_BYTES, 16 * 1024 * 1024);
    const big = join(dir, 'big.onnx');
    writeFileSync(big, '');
    truncateSync(big, BLOB_LIMIT_BYTES + 1);
    const blobs = new BlobStore(new Redis(redis().port, '127.0.0.1'));
    const tooBig = coded('QUEUE_ARTIFACT_TOO_BIG', { field: '--artifacts', message: /big\.onnx is 16\.0 MiB: without --artifacts only files up to 16\.0 MiB travel through Redis/ });
    await assert.rejects(blobs.putFile(big), tooBig);
    await assert.rejects(blobs.put(new Uint8Array(BLOB_LIMIT_BYTES + 1), big), tooBig);
    await blobs.close();
    const ex = await queueExecutor({ url: parseQueueUrl(redis().url), run: join(dir, 'big') });
    try {
      const spec = { kind: 'on-the-fly' as const, data: 'mnist', corruptions: [], severities: [], seed: 0, batch: 32 };
      await assert.rejects(ex.run('eval-cells', { model: big, source: spec, from: 0, to: 1, identity: '#', ep: 'cpu', optLevel: 'all' }, { label: 'big model' }), tooBig);
    } finally {
      await ex.close();
    }
    assert.deepEqual((await queueStatus(parseQueueUrl(redis().url))).runs, []);
    assert.deepEqual(await blobKeys(), []);
  });
});
