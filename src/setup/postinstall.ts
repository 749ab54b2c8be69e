/**
 * The root package's postinstall: set up the tensorflow backend where pip can reach the wheel. It never
 * fails the install: anything missing prints one line and training falls back to wasm.
 * ACTBENCH_SKIP_TENSORFLOW=1 opts out. Runs from src/ with tsx because dist/ is built later (prepare).
 */
import { runSetup } from '../cli/setup.js';

runSetup({ ifPossible: true }).catch((e: unknown) => {
  console.error(`actbench: tensorflow backend setup skipped: ${(e as Error).message.split('\n')[0]}`);
});
