/**
 * A small bounded memo for the kernels, tables and index maps the corruptions reuse image after image: the
 * keys in use are few, so when the store reaches `limit` entries it is simply emptied.
 */
export class BoundedMemo<K, V> {
  private readonly store = new Map<K, V>();
  constructor(private readonly limit: number) {}

  /** The stored value for `key`, made by `make` and stored on a miss. */
  get(key: K, make: () => V): V {
    let v = this.store.get(key);
    if (v === undefined) {
      if (this.store.size >= this.limit) this.store.clear();
      v = make();
      this.store.set(key, v);
    }
    return v;
  }
}
