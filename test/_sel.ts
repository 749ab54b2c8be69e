import { selectBackend, describeBackend } from '../src/train/backend.js';
const r = process.argv[2] ?? 'auto';
try { const c = await selectBackend(r as 'auto', 'train'); console.log(describeBackend(c)); } catch (e) { console.log('ERR', (e as {code?: string}).code, (e as Error).message); }
