/**
 * A minimal, safe reader for the Python pickles the CIFAR-10/100 "python version" files are: protocol 2
 * (written by Python 2's cPickle; Python 3 writes the same with `protocol=2`, and 3–4 add byte and frame
 * opcodes) holding dicts, lists, strings, ints and numpy arrays. Nothing is ever called: the only globals
 * accepted are the five these files name (numpy's array and dtype reconstructors, `_codecs.encode` and
 * `bytes` for Python 3's protocol-2 bytes), each interpreted here as data. Any other global or opcode is
 * refused with a coded error naming the file and byte offset.
 */
import { ActbenchError } from '../errors.js';

/** A numpy array: C-order raw bytes of a little-endian (or single-byte) integer dtype. */
export interface PyNdarray {
  kind: 'ndarray';
  /** numpy's dtype code without byte order: 'u1', 'i1', 'i2', 'u2', 'i4', 'u4', 'i8', 'u8' */
  dtype: string;
  shape: number[];
  data: Uint8Array;
}
export interface PyTuple {
  kind: 'tuple';
  items: PyValue[];
}
/** A dict whose keys are strings (Python 2 str / Python 3 bytes keys decoded as latin-1, as torchvision's `encoding='latin1'`). */
export interface PyDict {
  kind: 'dict';
  entries: Map<string, PyValue>;
}
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PyNdarray;

// internal stack objects: never returned to callers
interface PyGlobal {
  kind: 'global';
  name: string;
}
interface PyDtype {
  kind: 'dtype';
  code: string;
  order: string;
}
type Item = PyValue | PyGlobal | PyDtype | typeof MARK;
const MARK = Symbol('mark');

const ALLOWED_GLOBALS = new Set([
  'numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct', 'numpy.ndarray', 'numpy.dtype',
  '_codecs.encode', '__builtin__.bytes', 'builtins.bytes',
]);
const INT_DTYPES: Record<string, number> = { u1: 1, i1: 1, i2: 2, u2: 2, i4: 4, u4: 4, i8: 8, u8: 8 };

const isObj = <K extends string>(v: Item, kind: K): v is Extract<Item, { kind: K }> =>
  typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v) && (v as { kind?: string }).kind === kind;

/** A Python 2 str / bytes / Python 3 str as bytes (latin-1 for text, as numpy does for array data). */
function asBytes(v: Item): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') {
    for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 255) return null;
    return Buffer.from(v, 'latin1');
  }
  return null;
}

/** Text of a str or bytes value (bytes as latin-1). */
export function pyText(v: PyValue | undefined): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
  return null;
}

export function parsePickle(buf: Uint8Array, file: string): PyValue {
  const bad = (code: string, at: number, why: string) => new ActbenchError(code, `${file}: pickle byte ${at}: ${why}`, { file, field: `byte ${at}` });
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: Item[] = [];
  const memo = new Map<number, Item>();
  let pos = 0;
  let op = 0;
  const need = (n: number) => {
    if (pos + n > buf.length) throw bad('PICKLE_BAD', op, `truncated: ${n} more bytes needed, the file has ${buf.length - pos}`);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const s = buf.subarray(pos, pos + n);
    pos += n;
    return s;
  };
  const u8 = () => take(1)[0];
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(buf.length)) throw bad('PICKLE_BAD', op, `length ${v} is beyond the file's ${buf.length} bytes`);
    return Number(v);
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw bad('PICKLE_BAD', op, 'truncated: a newline-terminated name is cut short');
    const s = Buffer.from(buf.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const pop = (): Item => {
    if (stack.length === 0) throw bad('PICKLE_BAD', op, 'stack underflow (not a pickle, or a corrupted one)');
    const v = stack.pop() as Item;
    if (v === MARK) throw bad('PICKLE_BAD', op, 'unexpected mark');
    return v;
  };
  const top = (): Item => {
    const v = stack[stack.length - 1];
    if (stack.length === 0 || v === MARK) throw bad('PICKLE_BAD', op, 'stack underflow (not a pickle, or a corrupted one)');
    return v;
  };
  const popMark = (): Item[] => {
    const k = stack.lastIndexOf(MARK);
    if (k < 0) throw bad('PICKLE_BAD', op, 'no mark on the stack');
    const items = stack.slice(k + 1);
    stack.length = k;
    return items;
  };
  const value = (v: Item): PyValue => {
    if (v === MARK || isObj(v, 'global') || isObj(v, 'dtype')) throw bad('PICKLE_UNSUPPORTED', op, 'a numpy type or global used as a value');
    return v as PyValue;
  };
  const key = (k: Item): string => {
    const t = typeof k === 'string' ? k : k instanceof Uint8Array ? Buffer.from(k).toString('latin1') : null;
    if (t === null) throw bad('PICKLE_UNSUPPORTED', op, 'a dict key that is not a string');
    return t;
  };
  const setItems = (items: Item[]) => {
    const d = top();
    if (!isObj(d, 'dict')) throw bad('PICKLE_BAD', op, 'SETITEM on something that is not a dict');
    if (items.length % 2) throw bad('PICKLE_BAD', op, 'odd number of items for SETITEMS');
    for (let i = 0; i < items.length; i += 2) d.entries.set(key(items[i]), value(items[i + 1]));
  };
  const append = (items: Item[]) => {
    const l = top();
    if (!Array.isArray(l)) throw bad('PICKLE_BAD', op, 'APPEND on something that is not a list');
    for (const it of items) l.push(value(it));
  };
  const global = (name: string): PyGlobal => {
    if (!ALLOWED_GLOBALS.has(name)) throw bad('PICKLE_BAD_GLOBAL', op, `refusing global '${name}': only numpy arrays, dicts, lists, strings and numbers are read (a CIFAR pickle names nothing else)`);
    return { kind: 'global', name };
  };
  const reduce = (f: Item, args: Item): Item => {
    if (!isObj(f, 'global') || !isObj(args, 'tuple')) throw bad('PICKLE_UNSUPPORTED', op, 'REDUCE of something other than an allowed global');
    const a = args.items as Item[];
    switch (f.name) {
      case '_codecs.encode': {
        const enc = typeof a[1] === 'string' ? a[1].toLowerCase() : '';
        const b = typeof a[0] === 'string' && (enc === 'latin1' || enc === 'latin-1') ? asBytes(a[0]) : null;
        if (!b) throw bad('PICKLE_UNSUPPORTED', op, `_codecs.encode of other than a latin-1 string`);
        return b;
      }
      case '__builtin__.bytes':
      case 'builtins.bytes':
        if (a.length !== 0) throw bad('PICKLE_UNSUPPORTED', op, 'bytes() with arguments');
        return new Uint8Array(0);
      case 'numpy.dtype': {
        const code = typeof a[0] === 'string' ? a[0] : a[0] instanceof Uint8Array ? Buffer.from(a[0]).toString('latin1') : '';
        if (!(code in INT_DTYPES)) throw bad('PICKLE_UNSUPPORTED', op, `numpy dtype '${code}': only integer arrays (${Object.keys(INT_DTYPES).join(', ')}) are read`);
        return { kind: 'dtype', code, order: '|' };
      }
      case 'numpy.core.multiarray._reconstruct':
      case 'numpy._core.multiarray._reconstruct': {
        const cls = a[0] ?? null;
        if (!isObj(cls, 'global') || cls.name !== 'numpy.ndarray') throw bad('PICKLE_UNSUPPORTED', op, '_reconstruct of a numpy subclass');
        return { kind: 'ndarray', dtype: '', shape: [], data: new Uint8Array(0) };
      }
      default:
        throw bad('PICKLE_UNSUPPORTED', op, `calling '${f.name}'`);
    }
  };
  const build = (obj: Item, state: Item) => {
    const st = isObj(state, 'tuple') ? state.items : null;
    if (isObj(obj, 'dtype') && st) {
      const order = typeof st[1] === 'string' ? st[1] : st[1] instanceof Uint8Array ? Buffer.from(st[1]).toString('latin1') : '';
      if (order === '>' && INT_DTYPES[obj.code] > 1) throw bad('PICKLE_UNSUPPORTED', op, `big-endian numpy dtype '>${obj.code}'`);
      obj.order = order;
      return;
    }
    if (isObj(obj, 'ndarray') && st && st.length === 5) {
      const [, shape, dtype, fortran, raw] = st;
      if (!isObj(shape, 'tuple') || !shape.items.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) throw bad('PICKLE_UNSUPPORTED', op, 'numpy array shape is not a tuple of sizes');
      if (!isObj(dtype, 'dtype')) throw bad('PICKLE_UNSUPPORTED', op, 'numpy array without a dtype');
      // Python 2 numpy may store the flag as an int
      if (fortran === true || fortran === 1) throw bad('PICKLE_UNSUPPORTED', op, 'Fortran-order numpy array');
      const data = asBytes(raw);
      if (!data) throw bad('PICKLE_UNSUPPORTED', op, 'numpy array data is not raw bytes (an object array?)');
      const dims = shape.items as number[];
      const expect = dims.reduce((x, d) => x * d, 1) * INT_DTYPES[dtype.code];
      if (data.length !== expect) throw bad('PICKLE_BAD', op, `numpy array of shape (${dims.join(', ')}) ${dtype.code} needs ${expect} bytes, has ${data.length}`);
      Object.assign(obj, { dtype: dtype.code, shape: dims, data });
      return;
    }
    throw bad('PICKLE_UNSUPPORTED', op, 'BUILD of an object other than a numpy array or dtype');
  };

  while (true) {
    op = pos;
    if (pos >= buf.length) throw bad('PICKLE_BAD', op, 'truncated: no STOP opcode');
    const c = buf[pos++];
    switch (c) {
      case 0x80: { // PROTO
        const p = u8();
        if (p > 5) throw bad('PICKLE_UNSUPPORTED', op, `pickle protocol ${p} (expected 2–5)`);
        break;
      }
      case 0x95: // FRAME: framing only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw bad('PICKLE_BAD', op, `STOP with ${stack.length} items on the stack`);
        return value(pop());
      case 0x28: stack.push(MARK); break; // MARK
      case 0x7d: stack.push({ kind: 'dict', entries: new Map() }); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push({ kind: 'tuple', items: [] }); break; // EMPTY_TUPLE
      // tuples may carry numpy's globals and dtypes (reconstructor arguments, array state)
      case 0x74: stack.push({ kind: 'tuple', items: popMark() as PyValue[] }); break; // TUPLE
      case 0x85: case 0x86: case 0x87: { // TUPLE1..3
        const n = c - 0x84;
        const items: Item[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop());
        stack.push({ kind: 'tuple', items: items as PyValue[] });
        break;
      }
      case 0x61: append([pop()]); break; // APPEND
      case 0x65: append(popMark()); break; // APPENDS
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems([k, v]);
        break;
      }
      case 0x75: setItems(popMark()); break; // SETITEMS
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: { // BININT
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      }
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: { // BININT2
        need(2);
        stack.push(view.getUint16(pos, true));
        pos += 2;
        break;
      }
      case 0x8a: { // LONG1: little-endian two's complement
        const b = take(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: { // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      // Python 2 str (what the original CIFAR files hold): bytes, as pickle.load(encoding='bytes') gives them
      case 0x55: stack.push(take(u8())); break; // SHORT_BINSTRING
      case 0x54: { // BINSTRING (signed 4-byte length)
        need(4);
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) throw bad('PICKLE_BAD', op, `negative string length ${n}`);
        stack.push(take(n));
        break;
      }
      case 0x43: stack.push(take(u8())); break; // SHORT_BINBYTES
      case 0x42: stack.push(take(u32())); break; // BINBYTES
      case 0x8e: stack.push(take(u64())); break; // BINBYTES8
      case 0x58: stack.push(Buffer.from(take(u32())).toString('utf8')); break; // BINUNICODE
      case 0x8c: stack.push(Buffer.from(take(u8())).toString('utf8')); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(Buffer.from(take(u64())).toString('utf8')); break; // BINUNICODE8
      case 0x63: { // GLOBAL "module\nname\n"
        const mod = line();
        stack.push(global(`${mod}.${line()}`));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const mod = pop();
        if (typeof mod !== 'string' || typeof name !== 'string') throw bad('PICKLE_BAD', op, 'STACK_GLOBAL of non-strings');
        stack.push(global(`${mod}.${name}`));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        stack.push(reduce(pop(), args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        build(top(), state);
        break;
      }
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = c === 0x68 ? u8() : u32();
        if (!memo.has(k)) throw bad('PICKLE_BAD', op, `memo ${k} was never stored`);
        stack.push(memo.get(k) as Item);
        break;
      }
      default:
        throw bad('PICKLE_UNSUPPORTED', op, `opcode 0x${c.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(c))}) is not one a CIFAR pickle uses (protocol 0/1 text pickles and objects are not read)`);
    }
  }
}

/** The values of an integer numpy array (8-byte values beyond 2⁵³ as bigint). */
export function ndarrayValues(a: PyNdarray): (number | bigint)[] {
  const size = INT_DTYPES[a.dtype];
  const v = new DataView(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const n = a.data.length / size;
  const out: (number | bigint)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (a.dtype) {
      case 'u1': out[i] = v.getUint8(o); break;
      case 'i1': out[i] = v.getInt8(o); break;
      case 'u2': out[i] = v.getUint16(o, true); break;
      case 'i2': out[i] = v.getInt16(o, true); break;
      case 'u4': out[i] = v.getUint32(o, true); break;
      case 'i4': out[i] = v.getInt32(o, true); break;
      default: {
        const b = a.dtype === 'i8' ? v.getBigInt64(o, true) : v.getBigUint64(o, true);
        out[i] = b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
      }
    }
  }
  return out;
}
