import type { Readable } from 'node:stream';

/** Result of a completed write: what landed, measured while streaming. */
export interface StoredObject {
  key: string;
  size: number;
  sha256: string;
}

export interface PutOptions {
  contentType?: string;
  /** When given, the write fails (and keeps nothing) unless the content hashes to this. */
  expectedSha256?: string;
  /** When given, the write fails (and keeps nothing) once more bytes than this arrive. */
  maxBytes?: number;
}

export interface AdoptOptions extends PutOptions {
  /**
   * The file's size and sha256, computed by the caller while it wrote the file (a resumable
   * upload hashes as the bytes arrive): `adopt` then checks the size instead of re-reading the
   * whole file to hash it. Only for files this process wrote itself.
   */
  hashed?: { size: number; sha256: string };
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive; the end of the object when omitted. */
  end?: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  modifiedAt: Date;
}

export interface TemporarySweep {
  /** Temporary (incomplete) writes found that no live writer owns. */
  found: string[];
  removed: string[];
}

/**
 * Where Montu keeps bytes. Keys are `/`-separated relative paths checked by `assertSafeKey`.
 * Every implementation makes `put` atomic: a reader sees the whole object or nothing.
 */
export interface StorageBackend {
  /** Short name recorded with every file (`local`, `s3`), so a library can span backends. */
  readonly name: string;
  /** Human-readable location for logs and `montu config`. */
  readonly location: string;
  put(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<StoredObject>;
  /**
   * `put` reads a stream that lends its chunks (lent-chunks.ts) correctly: it copies each
   * chunk in its 'data' event or pauses there until done with it. Others get copies.
   */
  readonly takesLentChunks?: boolean;
  get(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<ObjectInfo | null>;
  /** Removes the object; a missing object is not an error. */
  delete(key: string): Promise<void>;
  list(prefix?: string): AsyncIterable<ObjectInfo>;
  /** Finds, and unless dryRun removes, temporary writes left behind by dead writers. */
  sweepTemporary(options: { dryRun: boolean }): Promise<TemporarySweep>;
  /**
   * Takes a local file into storage by moving it (same volume) instead of copying, hashing it in
   * place first; the file is consumed. Backends that cannot move fall back to `put`.
   */
  adopt?(filePath: string, key: string, options?: AdoptOptions): Promise<StoredObject>;
  /**
   * Copies a local file into storage, leaving the file as it is: the same result as `put` of a
   * read stream of it (which is what callers do where a backend has no `putFile`).
   */
  putFile?(filePath: string, key: string, options?: PutOptions): Promise<StoredObject>;
  /** A URL the client can fetch directly, when the backend supports it. */
  presignGet?(
    key: string,
    options: { expiresInSeconds: number; fileName?: string; contentType?: string },
  ): Promise<string>;
  close?(): Promise<void>;
}
