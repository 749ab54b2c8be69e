/** One backend's training-bench rows in a process of its own, so its peak RSS is its own. */
import { measureBackend } from './training.js';

const [backend, batch] = process.argv.slice(2);
measureBackend(backend as Parameters<typeof measureBackend>[0], Number(batch))
  .then((r) => process.stdout.write(`\nACTBENCH_ROWS ${JSON.stringify({ ...r, peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`))
  .catch((e: Error) => {
    process.stdout.write(`\nACTBENCH_ROWS ${JSON.stringify({ error: e.message.split('\n')[0] })}\n`);
  });
