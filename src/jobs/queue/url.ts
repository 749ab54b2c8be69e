/**
 * The one parser of queue addresses: redis://[user:pass@]HOST:PORT[/DB] and rediss:// (TLS). The parsed
 * form keeps the credentials for the connection and a `display` form without them: every message, log
 * line and manifest uses `display` (or `redact`), never the URL as typed.
 */
import { ActbenchError } from '../../errors.js';

export interface QueueAddress {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
  password?: string;
  /** the URL with any password replaced by *** — safe to print and to store */
  display: string;
}

const C = 'QUEUE_BAD_URL';

/** Any redis:// or rediss:// URL inside a text, with its password masked (for messages from libraries). */
export function redact(text: string): string {
  return text.replace(/(rediss?:\/\/)([^@\s/]*)@/gi, (_m, scheme: string, cred: string) => {
    const user = cred.includes(':') ? cred.slice(0, cred.indexOf(':')) : '';
    return `${scheme}${user ? `${user}:` : ''}***@`;
  });
}

export function parseQueueUrl(text: string, field = '--queue'): QueueAddress {
  const shown = redact(String(text));
  const bad = (why: string): never => {
    throw new ActbenchError(C, `${field} expects redis://[user:pass@]HOST:PORT[/DB] or rediss://… (TLS), got '${shown}': ${why}`, { field, exit: 2 });
  };
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') bad(`the scheme must be redis or rediss, not '${u.protocol.replace(/:$/, '')}'`);
  if (!u.hostname) bad('no host');
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) bad('the port must be 1 … 65535');
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) bad(`the path must be a database number such as /0, not '/${path}'`);
  const db = path === '' ? 0 : Number(path);
  if (u.search || u.hash) bad('query strings and fragments are not supported');
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const cred = password !== undefined ? `${username ? `${encodeURIComponent(username)}:` : ''}***@` : username ? `${encodeURIComponent(username)}@` : '';
  const display = `${u.protocol}//${cred}${u.hostname}:${port}${db ? `/${db}` : ''}`;
  return { host, port, db, tls: u.protocol === 'rediss:', username, password, display };
}
