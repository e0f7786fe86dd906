/**
 * Serialized answers of hot reads (GET /api/v1/media/:id), each kept with the database change
 * stamp it was read under (`Montu.changeStamp()`): an entry is used only while the stamp is
 * unchanged — no commit by this process or any other since it was read — so an answer from it
 * is exactly what reading the database again would give. Any write anywhere empties it in effect;
 * with no cheap stamp (PostgreSQL) nothing is cached. Decision 166.
 */
export class StampedReadCache {
  private readonly entries = new Map<string, { stamp: string; projectId: string; body: string }>();

  constructor(private readonly max = 1000) {}

  /** The kept answer for `key` if it was read under `stamp`. */
  get(key: string, stamp: string): { projectId: string; body: string } | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.stamp !== stamp) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  set(key: string, stamp: string, projectId: string, body: string): void {
    // Oldest first out: a Map keeps insertion order.
    if (this.entries.size >= this.max && !this.entries.has(key))
      this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { stamp, projectId, body });
  }
}
