/**
 * `actbench corrupt --queue` (shards through Redis) killed -9 mid-run and restarted (issue 11), two workers
 * that keep running: the files are byte-identical to a local run's, nothing is left over, and the workers'
 * logs show every shard was corrupted exactly once.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { executions, harness } from './restart.js';
import { alive } from './wait.js';
import { queueTestbed } from './testbed.js';

const bed = queueTestbed('queue-restart-corrupt');
const { dir, redis, blobKeys, cli, exited, worker } = bed;
const { killAndRestart } = harness(bed);

describe('the corrupt coordinator killed -9 and restarted', () => {
  it('corrupt --queue (shards through Redis): byte-identical files, no job redone', async () => {
    const logs: string[][] = [[], []];
    const ws = logs.map(worker);
    // the pipeline sends one corruption's shards at a time: kill once the first of its two is done, the other finishes meanwhile
    const CORRUPT = ['corrupt', '--data', 'mnist', '--limit', '40', '--corruptions', 'gaussian_noise,motion_blur', '--severity', '1,3', '--seed', '3'];
    const l: string[] = [];
    assert.equal(await exited(cli([...CORRUPT, '--out', join(dir, 'c-local')], l)), 0, l.join('\n'));
    const coords = await killAndRestart([...CORRUPT, '--out', join(dir, 'c-queued'), '--queue', redis().url], logs, 1);
    const files = readdirSync(join(dir, 'c-local')).sort();
    assert.deepEqual(files, ['gaussian_noise.npy', 'labels.npy', 'manifest.json', 'motion_blur.npy']);
    assert.deepEqual(readdirSync(join(dir, 'c-queued')).sort(), files, 'no partial, progress or shard file left');
    for (const f of files) assert.ok(readFileSync(join(dir, 'c-queued', f)).equals(readFileSync(join(dir, 'c-local', f))), `${f} is byte-identical`);
    assert.deepEqual(await blobKeys(), [], 'no shard blob left in Redis');
    const { starts, dones } = executions(logs);
    assert.equal(dones.size, 4, `4 shards:\n${[...dones.keys()].join('\n')}\n${coords.flat().join('\n')}`);
    for (const [label, n] of [...starts, ...dones]) assert.equal(n, 1, `${label} ran once`);
    for (const w of ws) if (alive(w.pid as number)) w.kill('SIGTERM');
    await Promise.all(ws.map(exited));
  });
});
