/** Process entry of the CLI (bin/actbench.js runs the compiled copy). */
import { main } from './main.js';

main().then((code) => process.exit(code));
