/**
 * Recycled Float32Array storage for the native backend's kernel outputs. A training step allocates the
 * same sizes every step, and a fresh multi-megabyte array costs more in first-touch page faults than the
 * element-wise kernel that fills it; so the backend hands a disposed tensor's array to the next kernel
 * output of the same length. Safety rules (enforced by NativeBackend):
 * - only arrays this pool handed out and a tensor then claimed are recycled, when that tensor's data is freed;
 * - a tensor created on a view of pooled memory (a JS kernel's subarray of its input) gets a copy instead;
 * - reads (dataSync/data) return copies of pooled arrays, so no user code ever holds recycled memory.
 * Native kernels overwrite every element of their output, so recycled contents never leak through.
 */
export class BufferPool {
  private free = new Map<number, Float32Array[]>();
  private pooledBuffers = new WeakSet<ArrayBufferLike>();
  /** handed out, not yet owned by a tensor */
  private fresh = new WeakSet<Float32Array>();
  private freeBytes = 0;

  constructor(private readonly maxFreeBytes = 1.5 * 2 ** 30, private readonly minLength = 1024) {}

  /** in a free list (guards against handing one array out twice) */
  private idle = new WeakSet<Float32Array>();

  take(n: number): Float32Array {
    if (n < this.minLength) return new Float32Array(n);
    let a = this.free.get(n)?.pop();
    if (a) {
      this.freeBytes -= a.byteLength;
      this.idle.delete(a);
    } else {
      a = new Float32Array(n);
      this.pooledBuffers.add(a.buffer);
    }
    this.fresh.add(a);
    return a;
  }

  isPooled(a: ArrayBufferView): boolean {
    return this.pooledBuffers.has(a.buffer);
  }

  /** A tensor takes `a`: true when it may own it (fresh from take), false when it must copy (a view). */
  claim(a: Float32Array): boolean {
    if (!this.fresh.has(a)) return false;
    this.fresh.delete(a);
    return true;
  }

  /** Return an owned array (its tensor is gone, or a kernel's scratch). */
  give(a: Float32Array): void {
    if (!this.pooledBuffers.has(a.buffer) || this.idle.has(a) || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) return;
    this.fresh.delete(a);
    if (this.freeBytes + a.byteLength > this.maxFreeBytes) return;
    this.idle.add(a);
    let list = this.free.get(a.length);
    if (!list) this.free.set(a.length, (list = []));
    list.push(a);
    this.freeBytes += a.byteLength;
  }

  /** drop every free array (the memory goes back through the GC) */
  clear(): void {
    this.free.clear();
    this.freeBytes = 0;
  }
}
