/**
 * `actbench corrupt --queue` against a real redis-server with two workers (issue 11): the corrupted files
 * are byte-identical to a local run's, with the shards through --artifacts and through Redis (a worker
 * killed -9 mid-shard there), and no shard or blob is left behind.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { alive, waitFor } from './wait.js';
import { queueTestbed } from './testbed.js';

const { dir, redis, blobKeys, cli, exited, worker } = queueTestbed('queue-corrupt');

const starts = (line: string) => line.startsWith('start ');
describe('corrupt through the queue (2 workers)', () => {
  it('locally, through --artifacts and through Redis (a worker killed -9 mid-shard): the same bytes', async () => {
    const logs: string[][] = [[], []];
    const ws = [worker(logs[0]), worker(logs[1])];
    const CORRUPT = ['corrupt', '--data', 'mnist', '--limit', '50', '--corruptions', 'gaussian_noise,motion_blur', '--severity', '1,4', '--seed', '7'];
    const runs = { local: [] as string[], shared: ['--queue', redis().url, '--artifacts', dir], redis: ['--queue', redis().url] };
    for (const [name, extra] of Object.entries(runs)) {
      const l: string[] = [];
      const run = cli([...CORRUPT, '--out', join(dir, `c-${name}`), ...extra], l);
      if (name === 'redis') {
        // kill -9 the worker that takes the first shard while it corrupts; a new worker joins
        const seen = logs.map((x) => x.filter(starts).length);
        let victim = -1;
        assert.ok(await waitFor(() => (victim = logs.findIndex((x, k) => x.filter(starts).length > seen[k])) >= 0, 60_000), l.join('\n'));
        ws[victim].kill('SIGKILL');
        logs.push([]);
        ws.push(worker(logs[logs.length - 1]));
      }
      assert.equal(await exited(run), 0, `${name}: ${l.join('\n')}`);
    }
    const files = readdirSync(join(dir, 'c-local')).filter((f) => !f.startsWith('.')).sort();
    assert.deepEqual(files, ['gaussian_noise.npy', 'labels.npy', 'manifest.json', 'motion_blur.npy']);
    for (const name of ['shared', 'redis']) {
      assert.deepEqual(readdirSync(join(dir, `c-${name}`)).filter((f) => !f.startsWith('.')).sort(), files, name);
      for (const f of files) assert.ok(readFileSync(join(dir, `c-${name}`, f)).equals(readFileSync(join(dir, 'c-local', f))), `${name}/${f} is byte-identical`);
      assert.ok(!readdirSync(join(dir, `c-${name}`)).includes('.shards'), 'no shard left');
    }
    assert.deepEqual(await blobKeys(), [], 'the shard blobs are deleted once written');
    assert.ok(logs.filter((l) => l.some((x) => x.startsWith('done '))).length >= 2, `two workers ran shards:\n${logs.map((l) => l.join('\n')).join('\n--\n')}`);
    for (const w of ws) if (alive(w.pid as number)) w.kill('SIGTERM');
    await Promise.all(ws.map(exited));
  });
});
