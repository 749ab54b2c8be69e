/**
 * A small Redis client with the surface BullMQ 6 drives through its ioredis adapter (createIORedisClient):
 * any method name is sent as that command, `defineCommand` registers a Lua script (EVALSHA, EVAL on
 * NOSCRIPT), `pipeline()` / `multi()` batch commands, `duplicate()` opens a second connection, and the
 * `status` / 'ready' / 'close' / 'end' / 'error' vocabulary is ioredis's. RESP2 over TCP or TLS, AUTH and
 * SELECT on every (re)connection, offline queue, reconnect with backoff.
 *
 * Why it exists: BullMQ 6 made its Redis driver an optional peer dependency (ioredis or node-redis) and the
 * project has neither; this keeps the queue executor on BullMQ — the engine doing retries, backoff and
 * stalled-job recovery — with no new package. Replacing it by ioredis is one line in ./connection.ts.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RespOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: boolean | Record<string, unknown>;
  connectionName?: string;
  /** ms before reconnect attempt `times` (1, 2 …), or null/undefined to give up (ioredis's contract) */
  retryStrategy?: (times: number) => number | null | undefined;
  /** connect timeout, ms */
  connectTimeout?: number;
  [k: string]: unknown;
}

type Reply = string | number | null | Error | Reply[];
type Arg = string | number | Buffer | null | undefined | Arg[];

export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyError';
  }
}

/** Incremental RESP2 parser: feed bytes, take complete replies. */
class Parser {
  private buf: Buffer = Buffer.alloc(0);
  feed(chunk: Buffer): Reply[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Reply[] = [];
    for (;;) {
      const r = this.parse(0);
      if (!r) break;
      out.push(r.value);
      this.buf = this.buf.subarray(r.end);
    }
    return out;
  }
  private line(at: number): { text: string; next: number } | null {
    const i = this.buf.indexOf('\r\n', at);
    return i < 0 ? null : { text: this.buf.toString('utf8', at + 1, i), next: i + 2 };
  }
  private parse(at: number): { value: Reply; end: number } | null {
    if (at >= this.buf.length) return null;
    const type = String.fromCharCode(this.buf[at]);
    const l = this.line(at);
    if (!l) return null;
    switch (type) {
      case '+':
        return { value: l.text, end: l.next };
      case '-':
        return { value: new ReplyError(l.text), end: l.next };
      case ':':
        return { value: Number(l.text), end: l.next };
      case '$': {
        const n = Number(l.text);
        if (n < 0) return { value: null, end: l.next };
        if (this.buf.length < l.next + n + 2) return null;
        return { value: this.buf.toString('utf8', l.next, l.next + n), end: l.next + n + 2 };
      }
      case '*': {
        const n = Number(l.text);
        if (n < 0) return { value: null, end: l.next };
        const items: Reply[] = [];
        let end = l.next;
        for (let k = 0; k < n; k++) {
          const r = this.parse(end);
          if (!r) return null;
          items.push(r.value);
          end = r.end;
        }
        return { value: items, end };
      }
      default:
        throw new ReplyError(`protocol error: unexpected reply type '${type}'`);
    }
  }
}

function flatten(args: Arg[], out: (string | Buffer)[] = []): (string | Buffer)[] {
  for (const a of args) {
    if (Array.isArray(a)) flatten(a, out);
    else if (Buffer.isBuffer(a)) out.push(a);
    else out.push(a === null || a === undefined ? '' : String(a));
  }
  return out;
}

function encode(parts: (string | Buffer)[]): Buffer {
  const chunks: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const b = Buffer.isBuffer(p) ? p : Buffer.from(p);
    chunks.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(chunks);
}

/** ioredis's reply shaping for the few commands where it differs from the raw reply. */
function shape(name: string, r: Reply): unknown {
  if (name === 'hgetall' && Array.isArray(r)) {
    const o: Record<string, Reply> = {};
    for (let k = 0; k + 1 < r.length; k += 2) o[String(r[k])] = r[k + 1];
    return o;
  }
  return r;
}

interface Pending {
  name: string;
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
}

interface Script {
  numberOfKeys: number;
  lua: string;
  sha: string;
}

/** what ioredis exposes as command methods: Redis command names (never 'then': a client is not a promise) */
const COMMAND = /^(?!then$)[a-z]+$/i;

const closed = () => new Error('Connection is closed.');

export class RespClient extends EventEmitter {
  status: 'wait' | 'connecting' | 'connect' | 'ready' | 'reconnecting' | 'close' | 'end' = 'wait';
  readonly options: RespOptions;
  readonly isCluster = false;
  private socket: Socket | null = null;
  private parser = new Parser();
  private inflight: Pending[] = [];
  private offline: { parts: (string | Buffer)[]; p: Pending }[] = [];
  private scripts = new Map<string, Script>();
  private attempts = 0;
  private ending = false;
  private timer: NodeJS.Timeout | null = null;
  [command: string]: unknown;

  constructor(options: RespOptions) {
    super();
    this.options = { ...options };
    // any unknown command-like property is a Redis command, as in ioredis (client.zadd(...), client.info());
    // other names (a script's 'addStandardJob:6.7.0' before defineCommand) are undefined, as in ioredis
    const proxy = new Proxy(this, {
      get(target, prop, receiver) {
        if (typeof prop !== 'string' || prop in target || !COMMAND.test(prop)) return Reflect.get(target, prop, receiver);
        return (...args: Arg[]) => target.command(prop, args);
      },
    });
    if (!options.lazyConnect) void proxy.connect().catch(() => {});
    return proxy;
  }

  connect(): Promise<void> {
    if (this.status === 'ready') return Promise.resolve();
    const ready = new Promise<void>((resolve, reject) => {
      const ok = () => {
        this.off('end', ko);
        resolve();
      };
      const ko = () => {
        this.off('ready', ok);
        reject(this.lastError ?? closed());
      };
      this.once('ready', ok);
      this.once('end', ko);
    });
    if (this.status === 'wait' || this.status === 'end' || this.status === 'close') {
      this.ending = false;
      this.open();
    }
    return ready;
  }

  private lastError: Error | null = null;

  private open(): void {
    this.status = 'connecting';
    const o = this.options;
    const s = o.tls ? tlsConnect({ host: o.host, port: o.port, servername: o.host, ...(typeof o.tls === 'object' ? o.tls : {}) }) : tcpConnect({ host: o.host, port: o.port });
    this.socket = s;
    this.parser = new Parser();
    s.setNoDelay(true);
    s.setTimeout(o.connectTimeout ?? 10000, () => s.destroy(new Error(`connect ETIMEDOUT ${o.host}:${o.port}`)));
    s.once(o.tls ? 'secureConnect' : 'connect', () => {
      s.setTimeout(0);
      this.status = 'connect';
      this.emit('connect');
      void this.handshake();
    });
    s.on('data', (d: Buffer) => {
      let replies: Reply[];
      try {
        replies = this.parser.feed(d);
      } catch (e) {
        s.destroy(e as Error);
        return;
      }
      for (const r of replies) {
        const p = this.inflight.shift();
        if (!p) continue;
        if (r instanceof Error) p.reject(r);
        else p.resolve(shape(p.name, r));
      }
    });
    s.on('error', (e) => {
      this.lastError = e;
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    s.on('close', () => this.lost(s));
  }

  /** AUTH, SELECT and CLIENT SETNAME on the new socket, ahead of anything queued. */
  private async handshake(): Promise<void> {
    const o = this.options;
    try {
      if (o.password !== undefined) await this.raw('auth', o.username ? [o.username, o.password] : [o.password]);
      if (o.db) await this.raw('select', [o.db]);
      if (o.connectionName) await this.raw('client', ['SETNAME', o.connectionName]);
    } catch (e) {
      this.lastError = e as Error;
      if (this.listenerCount('error') > 0) this.emit('error', e);
      // a refused password will not get better by retrying: give up (ioredis would retry forever)
      this.ending = /WRONGPASS|NOAUTH|invalid password|invalid username/i.test((e as Error).message);
      this.socket?.destroy();
      return;
    }
    this.attempts = 0;
    this.status = 'ready';
    for (const q of this.offline.splice(0)) this.write(q.parts, q.p);
    this.emit('ready');
  }

  private lost(s: Socket): void {
    if (this.socket !== s) return;
    this.socket = null;
    for (const p of this.inflight.splice(0)) p.reject(closed());
    const wasReady = this.status === 'ready';
    this.status = 'close';
    if (wasReady || this.listenerCount('close')) this.emit('close');
    const delay = this.ending ? null : (this.options.retryStrategy ?? ((t: number) => Math.min(t * 50, 2000)))(++this.attempts);
    if (typeof delay !== 'number') {
      this.status = 'end';
      for (const q of this.offline.splice(0)) q.p.reject(this.lastError ?? closed());
      this.emit('end');
      return;
    }
    this.status = 'reconnecting';
    this.emit('reconnecting', delay);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.ending) this.open();
    }, delay);
  }

  private write(parts: (string | Buffer)[], p: Pending): void {
    if (!this.socket || this.socket.destroyed) {
      p.reject(closed());
      return;
    }
    this.inflight.push(p);
    this.socket.write(encode(parts));
  }

  /** Sent now, bypassing the offline queue (the handshake). */
  private raw(name: string, args: Arg[]): Promise<unknown> {
    return new Promise((resolve, reject) => this.write([name, ...flatten(args)], { name, resolve, reject }));
  }

  command(name: string, args: Arg[]): Promise<unknown> {
    const lower = name.toLowerCase();
    const script = this.scripts.get(name);
    if (script) return this.runScript(script, args);
    const parts = [lower, ...flatten(args)];
    return new Promise((resolve, reject) => {
      const p = { name: lower, resolve, reject };
      if (this.status === 'ready') this.write(parts, p);
      else if (this.status === 'end' && this.ending) reject(closed());
      else this.offline.push({ parts, p });
    });
  }

  call(name: string, ...args: Arg[]): Promise<unknown> {
    return this.command(name, args);
  }

  private async runScript(s: Script, args: Arg[]): Promise<unknown> {
    const flat = flatten(args);
    try {
      return await this.command('evalsha', [s.sha, s.numberOfKeys, flat]);
    } catch (e) {
      if (!/NOSCRIPT/.test((e as Error).message)) throw e;
      return this.command('eval', [s.lua, s.numberOfKeys, flat]);
    }
  }

  defineCommand(name: string, def: { numberOfKeys: number; lua: string }): void {
    this.scripts.set(name, { ...def, sha: createHash('sha1').update(def.lua).digest('hex') });
    // ioredis defines the method on the instance; BullMQ checks `client[name]` before defining again
    Object.defineProperty(this, name, { value: (...args: Arg[]) => this.command(name, args), configurable: true, enumerable: false });
  }

  duplicate(override: Partial<RespOptions> = {}): RespClient {
    const d = new RespClient({ ...this.options, ...override });
    for (const [n, s] of this.scripts) d.defineCommand(n, s);
    return d;
  }

  pipeline(): Batch {
    return new Batch(this, false);
  }

  multi(): Batch {
    return new Batch(this, true);
  }

  /** Batches run their scripts with EVAL (no NOSCRIPT round trip inside a transaction). */
  scriptOf(name: string): Script | undefined {
    return this.scripts.get(name);
  }

  async quit(): Promise<string> {
    this.ending = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.status !== 'ready') {
      this.disconnect();
      return 'OK';
    }
    try {
      await this.command('quit', []);
    } catch {
      // closed already
    }
    this.socket?.end();
    return 'OK';
  }

  disconnect(): void {
    this.ending = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.socket) this.socket.destroy();
    else if (this.status !== 'end') {
      this.status = 'end';
      for (const q of this.offline.splice(0)) q.p.reject(closed());
      this.emit('end');
    }
  }
}

/** pipeline() / multi(): queue commands, `exec()` answers [error, result] per command (ioredis's shape). */
class Batch {
  private cmds: { name: string; args: Arg[] }[] = [];
  [command: string]: unknown;
  constructor(private readonly client: RespClient, private readonly transaction: boolean) {
    return new Proxy(this, {
      get(target, prop, receiver) {
        if (typeof prop !== 'string' || prop in target || (!COMMAND.test(prop) && !target.client.scriptOf(prop))) return Reflect.get(target, prop, receiver);
        return (...args: Arg[]) => {
          target.cmds.push({ name: prop, args });
          return receiver;
        };
      },
    });
  }

  get length(): number {
    return this.cmds.length;
  }

  async exec(): Promise<[Error | null, unknown][]> {
    const expand = ({ name, args }: { name: string; args: Arg[] }): { name: string; args: Arg[] } => {
      const s = this.client.scriptOf(name);
      return s ? { name: 'eval', args: [s.lua, s.numberOfKeys, ...flatten(args)] } : { name, args };
    };
    const cmds = this.cmds.map(expand);
    this.cmds = [];
    if (!this.transaction) {
      const settled = await Promise.allSettled(cmds.map((c) => this.client.command(c.name, c.args)));
      return settled.map((s) => (s.status === 'fulfilled' ? [null, s.value] : [s.reason as Error, null]));
    }
    // MULTI … EXEC: the queued replies are +QUEUED; EXEC's array holds the results (errors in place)
    const sent = [this.client.command('multi', []), ...cmds.map((c) => this.client.command(c.name, c.args)), this.client.command('exec', [])];
    const settled = await Promise.allSettled(sent);
    const exec = settled[settled.length - 1];
    if (exec.status === 'rejected') throw exec.reason;
    const results = (exec.value ?? []) as Reply[];
    return results.map((r, k) => (r instanceof Error ? [r, null] : [null, shape(cmds[k].name, r)]));
  }
}
