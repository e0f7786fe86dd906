import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { createRequire } from 'node:module';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import type * as Presigner from '@aws-sdk/s3-request-presigner';
import { MontuError, NotFound, StorageError, ValidationError } from '@montu/domain';
import type {
  ByteRange,
  ObjectInfo,
  PutOptions,
  StorageBackend,
  StoredObject,
  TemporarySweep,
} from './backend.js';
import { HashingCounter, checkExpectedSha256 } from './hashing.js';
import { assertSafeKey, TEMP_DIR } from './keys.js';
import { ABANDONED_AFTER_MS, ownerIsDeadLocalProcess } from './owner.js';
import { STARTUP_ENVIRONMENT } from '../config/environment.js';

const MIB = 1024 * 1024;

/**
 * The AWS SDK takes ~150 ms to load, so it is loaded when an S3Storage first talks to its
 * bucket, not when the core is imported: local-only CLI runs and servers start without it. The
 * packages have no ESM `exports`, so `import` resolves to the same CommonJS modules `require`
 * loads here (one instance of each class either way).
 */
interface AwsSdk {
  s3: typeof ClientS3;
  Upload: typeof LibStorage.Upload;
  getSignedUrl: typeof Presigner.getSignedUrl;
}
let loadedSdk: AwsSdk | undefined;
export function awsSdk(): AwsSdk {
  if (!loadedSdk) {
    const require = createRequire(import.meta.url);
    loadedSdk = {
      s3: require('@aws-sdk/client-s3') as typeof ClientS3,
      Upload: (require('@aws-sdk/lib-storage') as typeof LibStorage).Upload,
      getSignedUrl: (require('@aws-sdk/s3-request-presigner') as typeof Presigner).getSignedUrl,
    };
  }
  return loadedSdk;
}
/** S3's smallest part (all but the last) and CopyObject's largest source. */
const MIN_PART_SIZE = 5 * MIB;
const MAX_COPY_OBJECT_BYTES = 5 * 1024 * MIB;
/** SigV4 presigned URLs live at most seven days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;

export interface S3StorageConfig {
  bucket: string;
  /** Keys live under `<prefix>/` in the bucket; no leading or trailing slash needed. */
  prefix?: string;
  /** Defaults to `AWS_REGION`, then `us-east-1` (MinIO and most S3-compatibles accept it). */
  region?: string;
  /** For MinIO, Ceph RGW, …: `http://minio:9000`. AWS S3 when omitted. */
  endpoint?: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (MinIO needs it). */
  forcePathStyle?: boolean;
  /** Both or neither; the SDK's default provider chain (env, profile, IMDS, …) when omitted. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Whether downloads should be redirected to presigned URLs (read by the server). */
  presignDownloads?: boolean;
  /** Lifetime of presigned download URLs; 900 s by default. */
  presignExpiresSeconds?: number;
  /** SDK attempts per request (first try + retries, exponential backoff); 5 by default. */
  maxAttempts?: number;
  /** Multipart part size in bytes, at least 5 MiB; 8 MiB by default (objects up to ~78 GiB). */
  partSizeBytes?: number;
  /** Parts uploaded concurrently per put; 4 by default. Memory per put ≈ (queueSize + 2) × partSize. */
  queueSize?: number;
  /**
   * `SHA256` (default): the SDK sends a SHA-256 of every request body so the store rejects bytes
   * damaged in transit, and the checksum the store reports back is compared with ours.
   * `none`: no checksum headers at all, for S3-compatible stores that reject them.
   */
  checksumAlgorithm?: 'SHA256' | 'none';
  /**
   * After a multipart put without `expectedSha256`, rewrite the object's metadata in place
   * (server-side CopyObject, objects up to 5 GiB) so that `x-amz-meta-sha256` is always set.
   * true by default.
   */
  recordSha256AfterMultipart?: boolean;
  /**
   * Offer clients uploads straight to the bucket through presigned multipart URLs (decision 160);
   * true by default. Off when the bucket cannot be reached from the clients' network.
   */
  directUploads?: boolean;
  /** Lifetime of presigned part-upload URLs of direct uploads; 3600 s by default. */
  directUploadUrlSeconds?: number;
  /** Incomplete multipart uploads and temporary objects older than this are swept; 24 h by default. */
  staleAfterMs?: number;
  /** Keys per ListObjectsV2 page (1–1000); 1000 by default. */
  listPageSize?: number;
}

/** What the store said about a put, besides what we measured. */
interface StoreReport {
  checksumSHA256?: string | undefined;
  eTag?: string | undefined;
}

/**
 * Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, …).
 *
 * A put streams through a sha256 hasher into a single PutObject (objects up to one part) or a
 * lib-storage multipart upload. Both make the object visible only when the store completes the
 * write, and the expected-sha256 and size checks run in the stream's flush, before the uploader
 * sees the end of the data: on a mismatch the uploader never sends the last part and never
 * completes, so nothing becomes visible (see docs/decisions/020-s3-put-verification.md).
 */
export class S3Storage implements StorageBackend {
  readonly name = 's3';
  readonly bucket: string;
  /** Normalised prefix without slashes ('' for the bucket root). */
  readonly prefix: string;
  readonly presignDownloads: boolean;
  readonly presignExpiresSeconds: number;
  readonly partSize: number;
  readonly queueSize: number;
  readonly directUploads: boolean;
  readonly directUploadUrlSeconds: number;
  private readonly checksums: boolean;
  private readonly recordSha256AfterMultipart: boolean;
  private readonly staleAfterMs: number;
  private readonly listPageSize: number;
  private readonly endpoint: string | undefined;
  private readonly clientConfig: S3ClientConfig;
  private s3Client: S3Client | undefined;

  constructor(config: S3StorageConfig) {
    if (
      !config ||
      typeof config.bucket !== 'string' ||
      !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(config.bucket)
    ) {
      throw new ValidationError(
        `The S3 bucket name ${JSON.stringify(config?.bucket)} is not valid: 3–63 lowercase letters, digits, dots and hyphens.`,
      );
    }
    if ((config.accessKeyId === undefined) !== (config.secretAccessKey === undefined)) {
      throw new ValidationError('S3 credentials need both accessKeyId and secretAccessKey, or neither.');
    }
    this.bucket = config.bucket;
    this.prefix = normalisePrefix(config.prefix);
    this.endpoint = config.endpoint;
    this.presignDownloads = config.presignDownloads ?? false;
    this.presignExpiresSeconds = config.presignExpiresSeconds ?? 900;
    if (
      !Number.isInteger(this.presignExpiresSeconds) ||
      this.presignExpiresSeconds < 1 ||
      this.presignExpiresSeconds > MAX_PRESIGN_SECONDS
    ) {
      throw new ValidationError(
        `presignExpiresSeconds must be a whole number from 1 to ${MAX_PRESIGN_SECONDS}.`,
      );
    }
    this.partSize = config.partSizeBytes ?? 8 * MIB;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_SIZE) {
      throw new ValidationError(`partSizeBytes must be a whole number of at least ${MIN_PART_SIZE} (5 MiB).`);
    }
    this.queueSize = config.queueSize ?? 4;
    if (!Number.isInteger(this.queueSize) || this.queueSize < 1) {
      throw new ValidationError('queueSize must be a whole number of at least 1.');
    }
    this.directUploads = config.directUploads ?? true;
    this.directUploadUrlSeconds = config.directUploadUrlSeconds ?? 3600;
    if (
      !Number.isInteger(this.directUploadUrlSeconds) ||
      this.directUploadUrlSeconds < 60 ||
      this.directUploadUrlSeconds > MAX_PRESIGN_SECONDS
    ) {
      throw new ValidationError(
        `directUploadUrlSeconds must be a whole number from 60 to ${MAX_PRESIGN_SECONDS}.`,
      );
    }
    this.checksums = (config.checksumAlgorithm ?? 'SHA256') === 'SHA256';
    this.recordSha256AfterMultipart = config.recordSha256AfterMultipart ?? true;
    this.staleAfterMs = config.staleAfterMs ?? ABANDONED_AFTER_MS;
    this.listPageSize = Math.min(1000, Math.max(1, Math.floor(config.listPageSize ?? 1000)));

    const clientConfig: S3ClientConfig = {
      region: config.region ?? STARTUP_ENVIRONMENT.awsRegion ?? 'us-east-1',
      forcePathStyle: config.forcePathStyle ?? false,
      maxAttempts: config.maxAttempts ?? 5,
      requestChecksumCalculation: this.checksums ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
      responseChecksumValidation: this.checksums ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
    };
    if (config.endpoint !== undefined) clientConfig.endpoint = config.endpoint;
    if (config.accessKeyId !== undefined && config.secretAccessKey !== undefined) {
      clientConfig.credentials = {
        accessKeyId: config.accessKeyId,
        secretAccessKey: config.secretAccessKey,
        ...(config.sessionToken === undefined ? {} : { sessionToken: config.sessionToken }),
      };
    }
    this.clientConfig = clientConfig;
  }

  /**
   * A client for presigning part uploads: without the checksum middleware, which would sign a
   * checksum of an empty body into the URL and make every client PUT fail.
   */
  get presignClient(): S3Client {
    this.presigner ??= new (awsSdk().s3.S3Client)({
      ...this.clientConfig,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return this.presigner;
  }
  private presigner: S3Client | undefined;

  /** The SDK client, made (and the SDK loaded) on first use. */
  get client(): S3Client {
    this.s3Client ??= new (awsSdk().s3.S3Client)(this.clientConfig);
    return this.s3Client;
  }

  get location(): string {
    const where = this.endpoint ? ` at ${this.endpoint}` : '';
    return `s3://${this.bucket}/${this.prefix ? `${this.prefix}/` : ''}${where}`;
  }

  /** The bucket key of a Montu key. */
  objectKey(key: string): string {
    assertSafeKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  get base(): string {
    return this.prefix ? `${this.prefix}/` : '';
  }

  async put(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    options: PutOptions = {},
  ): Promise<StoredObject> {
    const objectKey = this.objectKey(key);
    const expected = options.expectedSha256;
    if (expected !== undefined && !/^[0-9a-f]{64}$/i.test(expected)) {
      checkExpectedSha256('0'.repeat(64), expected); // throws the standard ValidationError
    }
    const source = body instanceof Readable ? body : Readable.from(body);
    const hasher = new HashingCounter(options.maxBytes);
    const tap = new PartTap(this.partSize, () => {
      const sha256 = hasher.digest();
      checkExpectedSha256(sha256, expected);
      return sha256;
    });
    // The first error of the pipeline (size limit, checksum mismatch, a failing source) wins
    // over whatever the uploader reports afterwards (e.g. an abort the store does not support).
    let streamError: unknown;
    const hashed = pipeline(source, hasher, tap, (e) => {
      if (e) streamError ??= e;
    });

    let report: StoreReport;
    let multipart = false;
    let single: { sha256: string; size: number; startedAt: number } | undefined;
    try {
      // Read up to one part: a body that ends within it goes up in one PutObject, whose sha256
      // we then already know (metadata + a full-object checksum the store verifies).
      const raw = hashed[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      const iterator = {
        next: async (): Promise<IteratorResult<Buffer>> => {
          try {
            return await raw.next();
          } catch (e) {
            streamError ??= e;
            throw e;
          }
        },
      };
      const head: Buffer[] = [];
      let headLength = 0;
      let ended = false;
      while (headLength <= this.partSize) {
        const next = await iterator.next();
        if (next.done) {
          ended = true;
          break;
        }
        head.push(next.value);
        headLength += next.value.length;
      }
      if (ended) {
        single = { sha256: tap.sha256!, size: headLength, startedAt: Date.now() };
        report = await this.putSingle(
          objectKey,
          Buffer.concat(head, headLength),
          tap.sha256!,
          options.contentType,
        );
      } else {
        multipart = true;
        const rest = Readable.from(
          (async function* () {
            while (head.length > 0) yield head.shift()!;
            for (;;) {
              const next = await iterator.next();
              if (next.done) return;
              yield next.value;
            }
          })(),
          { objectMode: false },
        );
        report = await this.putMultipart(objectKey, rest, expected?.toLowerCase(), options.contentType);
      }
    } catch (e) {
      hashed.destroy();
      source.destroy();
      if (single) await this.removeTornWrite(objectKey, single).catch(() => undefined);
      throw s3Failure(streamError ?? e, `store ${key}`, this.bucket);
    }

    const sha256 = tap.sha256!;
    await this.verifyReport(key, objectKey, report, tap, multipart);
    if (
      multipart &&
      expected === undefined &&
      this.recordSha256AfterMultipart &&
      hasher.size <= MAX_COPY_OBJECT_BYTES
    ) {
      await this.recordSha256(objectKey, sha256, options.contentType, report.eTag).catch(() => undefined);
    }
    return { key, size: hasher.size, sha256 };
  }

  /**
   * After a failed PutObject: some S3-compatible stores keep the bytes of a request whose
   * connection dropped mid-body. An object carrying our sha256 in its metadata (sent before the
   * body) but not our size is that torn write, never a complete object someone relies on: remove it.
   */
  private async removeTornWrite(
    objectKey: string,
    ours: { sha256: string; size: number; startedAt: number },
  ): Promise<void> {
    let out;
    try {
      out = await this.client.send(
        new (awsSdk().s3.HeadObjectCommand)({ Bucket: this.bucket, Key: objectKey }),
      );
    } catch {
      return;
    }
    if (out.ContentLength === ours.size) return;
    const recorded = out.Metadata?.sha256;
    // Ours (metadata sent before the body), or written without metadata since this put began
    // (s3rver keeps a cut body without its metadata). A complete object Montu wrote earlier always
    // carries its own sha256, so it is never mistaken for a torn write.
    const since = (out.LastModified?.getTime() ?? 0) >= ours.startedAt - 5_000;
    if (recorded === ours.sha256 || (!recorded && since)) {
      await this.client.send(new (awsSdk().s3.DeleteObjectCommand)({ Bucket: this.bucket, Key: objectKey }));
    }
  }

  private async putSingle(
    objectKey: string,
    data: Buffer,
    sha256: string,
    contentType: string | undefined,
  ): Promise<StoreReport> {
    const out = await this.client.send(
      new (awsSdk().s3.PutObjectCommand)({
        Bucket: this.bucket,
        Key: objectKey,
        Body: data,
        ContentLength: data.length,
        ContentType: contentType ?? 'application/octet-stream',
        Metadata: { sha256 },
        ...(this.checksums ? { ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64') } : {}),
      }),
    );
    return { checksumSHA256: out.ChecksumSHA256, eTag: out.ETag };
  }

  private async putMultipart(
    objectKey: string,
    body: Readable,
    knownSha256: string | undefined,
    contentType: string | undefined,
  ): Promise<StoreReport> {
    const upload = new (awsSdk().Upload)({
      client: this.client,
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
      params: {
        Bucket: this.bucket,
        Key: objectKey,
        Body: body,
        ContentType: contentType ?? 'application/octet-stream',
        // Known up front only when the caller told us; otherwise recorded after completion.
        ...(knownSha256 ? { Metadata: { sha256: knownSha256 } } : {}),
        ...(this.checksums ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
      },
    });
    const out = await upload.done();
    return { checksumSHA256: out.ChecksumSHA256, eTag: out.ETag };
  }

  /**
   * Compares what the store reports with what we hashed: the full-object SHA-256 of a single
   * PutObject, or the composite ("checksum of part checksums", `…-N`) of a multipart upload.
   * Stores that report nothing (s3rver, checksums off) are not checked here. On a mismatch the
   * object is deleted: the store holds something other than what we sent.
   */
  private async verifyReport(
    key: string,
    objectKey: string,
    report: StoreReport,
    tap: PartTap,
    multipart: boolean,
  ): Promise<void> {
    const reported = report.checksumSHA256;
    if (!this.checksums || !reported) return;
    const [value, countText] = reported.split('-');
    let ours: string;
    if (multipart) {
      const composite = tap.composite();
      if (countText !== undefined && Number(countText) !== composite.parts) return; // not comparable
      ours = composite.base64;
    } else {
      ours = Buffer.from(tap.sha256!, 'hex').toString('base64');
    }
    if (value !== ours) {
      await this.client
        .send(new (awsSdk().s3.DeleteObjectCommand)({ Bucket: this.bucket, Key: objectKey }))
        .catch(() => undefined);
      throw new StorageError(
        `The object store reports a different SHA-256 for ${key} than the bytes Montu sent (${reported} ≠ ${ours}); the object was removed. Check the network path and the store's health, then retry.`,
        { details: { key, reported, expected: ours } },
      );
    }
  }

  /** Rewrites the object's metadata in place so that it carries its sha256. */
  private async recordSha256(
    objectKey: string,
    sha256: string,
    contentType: string | undefined,
    eTag: string | undefined,
  ): Promise<void> {
    await this.client.send(
      new (awsSdk().s3.CopyObjectCommand)({
        Bucket: this.bucket,
        Key: objectKey,
        CopySource: copySource(this.bucket, objectKey),
        ...(eTag ? { CopySourceIfMatch: eTag } : {}),
        MetadataDirective: 'REPLACE',
        Metadata: { sha256 },
        ContentType: contentType ?? 'application/octet-stream',
        ...(this.checksums ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
      }),
    );
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const objectKey = this.objectKey(key);
    let rangeHeader: string | undefined;
    if (range) {
      const { start, end } = range;
      if (
        !Number.isInteger(start) ||
        start < 0 ||
        (end !== undefined && (!Number.isInteger(end) || end < start))
      ) {
        throw new ValidationError(`Byte range ${start}-${end ?? ''} is not valid.`);
      }
      rangeHeader = `bytes=${start}-${end ?? ''}`;
    }
    let out;
    try {
      out = await this.client.send(
        new (awsSdk().s3.GetObjectCommand)({ Bucket: this.bucket, Key: objectKey, Range: rangeHeader }),
      );
    } catch (e) {
      if (isNotFound(e)) throw new NotFound(`Stored file ${key} does not exist.`);
      if (statusOf(e) === 416 || nameOf(e) === 'InvalidRange') {
        throw new ValidationError(`Byte range ${range?.start}-${range?.end ?? ''} is outside the file.`);
      }
      throw s3Failure(e, `read ${key}`, this.bucket);
    }
    const stream = out.Body as Readable | undefined;
    if (!stream) throw new StorageError(`The object store returned no body for ${key}.`);
    if (range) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(out.ContentRange ?? '');
      const total = m?.[3] === undefined || m[3] === '*' ? undefined : Number(m[3]);
      // S3 shortens a range that runs past the end; the local backend refuses it, so do we.
      if (range.end !== undefined && total !== undefined && range.end >= total) {
        stream.destroy();
        throw new ValidationError(
          `Byte range ${range.start}-${range.end} is outside the file (${total} bytes).`,
        );
      }
      if (m && Number(m[1]) !== range.start) {
        stream.destroy();
        throw new StorageError(
          `The object store answered a request for bytes ${range.start}-${range.end ?? ''} of ${key} with ${out.ContentRange}.`,
        );
      }
      // Some S3-compatible servers (s3rver for `bytes=0-0`) send more than was asked: cut it.
      if (m && range.end !== undefined && Number(m[2]) > range.end) {
        return limitBytes(stream, range.end - range.start + 1);
      }
    }
    return stream;
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const objectKey = this.objectKey(key);
    try {
      const out = await this.client.send(
        new (awsSdk().s3.HeadObjectCommand)({ Bucket: this.bucket, Key: objectKey }),
      );
      return { key, size: out.ContentLength ?? 0, modifiedAt: out.LastModified ?? new Date(0) };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw s3Failure(e, `stat ${key}`, this.bucket);
    }
  }

  /** The sha256 recorded in the object's metadata (`x-amz-meta-sha256`), or null. */
  async recordedSha256(key: string): Promise<string | null> {
    const objectKey = this.objectKey(key);
    try {
      const out = await this.client.send(
        new (awsSdk().s3.HeadObjectCommand)({ Bucket: this.bucket, Key: objectKey }),
      );
      const v = out.Metadata?.sha256;
      return v && /^[0-9a-f]{64}$/.test(v) ? v : null;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw s3Failure(e, `stat ${key}`, this.bucket);
    }
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new (awsSdk().s3.DeleteObjectCommand)({ Bucket: this.bucket, Key: objectKey }));
    } catch (e) {
      if (isNotFound(e)) return;
      throw s3Failure(e, `delete ${key}`, this.bucket);
    }
  }

  /** Objects under the folder `prefix` (all when omitted), as Montu keys, in the store's key order. */
  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    const folder = prefix.replace(/\/+$/, '');
    if (folder) assertSafeKey(folder);
    const listPrefix = this.base + (folder ? `${folder}/` : '');
    const tempPrefix = `${this.base}${TEMP_DIR}/`;
    for await (const obj of this.listRaw(listPrefix)) {
      if (obj.key.startsWith(tempPrefix) || obj.key.endsWith('/')) continue;
      const key = obj.key.slice(this.base.length);
      yield { key, size: obj.size, modifiedAt: obj.modifiedAt };
    }
  }

  private async *listRaw(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let out;
      try {
        out = await this.client.send(
          new (awsSdk().s3.ListObjectsV2Command)({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
            MaxKeys: this.listPageSize,
          }),
        );
      } catch (e) {
        throw s3Failure(e, `list ${prefix || 'the bucket'}`, this.bucket);
      }
      for (const o of out.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield { key: o.Key, size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Removes what dead writers left: objects under `<prefix>/.montu-tmp/` named `<owner>~…` whose
   * owner is a dead process on this host, or older than `staleAfterMs`; and incomplete multipart
   * uploads under the prefix initiated more than `staleAfterMs` ago (their initiator cannot be
   * told from the listing). Stores without ListMultipartUploads (s3rver) are skipped for the
   * latter; a bucket lifecycle rule `AbortIncompleteMultipartUpload` covers them too.
   */
  async sweepTemporary({ dryRun }: { dryRun: boolean }): Promise<TemporarySweep> {
    const found: string[] = [];
    const removed: string[] = [];
    const now = Date.now();
    const tempPrefix = `${this.base}${TEMP_DIR}/`;
    for await (const obj of this.listRaw(tempPrefix)) {
      const name = obj.key.slice(tempPrefix.length);
      const owner = name.split('~').slice(0, 2).join('~');
      if (ownerIsDeadLocalProcess(owner) || now - obj.modifiedAt.getTime() > this.staleAfterMs) {
        const shown = `${TEMP_DIR}/${name}`;
        found.push(shown);
        if (!dryRun) {
          await this.client
            .send(new (awsSdk().s3.DeleteObjectCommand)({ Bucket: this.bucket, Key: obj.key }))
            .catch((e: unknown) => {
              throw s3Failure(e, `remove ${shown}`, this.bucket);
            });
          removed.push(shown);
        }
      }
    }

    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let out;
      try {
        out = await this.client.send(
          new (awsSdk().s3.ListMultipartUploadsCommand)({
            Bucket: this.bucket,
            Prefix: this.base || undefined,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
      } catch (e) {
        if (isNotImplemented(e)) break;
        throw s3Failure(e, 'list incomplete uploads', this.bucket);
      }
      for (const u of out.Uploads ?? []) {
        if (!u.Key || !u.UploadId) continue;
        if (!u.Initiated || now - u.Initiated.getTime() <= this.staleAfterMs) continue;
        const shown = `multipart:${u.Key.slice(this.base.length)}#${u.UploadId}`;
        found.push(shown);
        if (!dryRun) {
          try {
            await this.client.send(
              new (awsSdk().s3.AbortMultipartUploadCommand)({
                Bucket: this.bucket,
                Key: u.Key,
                UploadId: u.UploadId,
              }),
            );
            removed.push(shown);
          } catch (e) {
            if (!isNotFound(e)) throw s3Failure(e, `abort ${shown}`, this.bucket);
          }
        }
      }
      if (!out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      uploadIdMarker = out.NextUploadIdMarker;
      if (!keyMarker && !uploadIdMarker) break;
    }
    return { found, removed };
  }

  async presignGet(
    key: string,
    options: { expiresInSeconds: number; fileName?: string; contentType?: string },
  ): Promise<string> {
    const objectKey = this.objectKey(key);
    const expiresIn = options.expiresInSeconds;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
      throw new ValidationError(
        `A presigned URL lives from 1 to ${MAX_PRESIGN_SECONDS} seconds, not ${expiresIn}.`,
      );
    }
    const command = new (awsSdk().s3.GetObjectCommand)({
      Bucket: this.bucket,
      Key: objectKey,
      ...(options.fileName !== undefined
        ? { ResponseContentDisposition: contentDisposition(options.fileName) }
        : {}),
      ...(options.contentType !== undefined ? { ResponseContentType: options.contentType } : {}),
    });
    try {
      return await awsSdk().getSignedUrl(this.client, command, { expiresIn });
    } catch (e) {
      throw s3Failure(e, `sign a download URL for ${key}`, this.bucket);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    this.presigner?.destroy();
  }
}

/**
 * Passes bytes through while hashing each `partSize` slice (the boundaries lib-storage cuts, which
 * it enforces itself), and runs `finish` — the size and expected-sha256 checks — in flush, so a
 * failing check errors the stream instead of ending it.
 */
class PartTap extends Transform {
  private part: Hash = createHash('sha256');
  private partBytes = 0;
  private readonly partDigests: Buffer[] = [];
  sha256: string | undefined;

  constructor(
    private readonly partSize: number,
    private readonly finish: () => string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.partSize - this.partBytes, chunk.length - offset);
      this.part.update(chunk.subarray(offset, offset + take));
      this.partBytes += take;
      offset += take;
      if (this.partBytes === this.partSize) {
        this.partDigests.push(this.part.digest());
        this.part = createHash('sha256');
        this.partBytes = 0;
      }
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (this.partBytes > 0 || this.partDigests.length === 0) this.partDigests.push(this.part.digest());
      this.sha256 = this.finish();
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  /** S3's composite checksum of a multipart upload: sha256 of the concatenated part digests. */
  composite(): { base64: string; parts: number } {
    return {
      base64: createHash('sha256').update(Buffer.concat(this.partDigests)).digest('base64'),
      parts: this.partDigests.length,
    };
  }
}

/** The first `length` bytes of `stream`; the rest is not read (the source is destroyed). */
function limitBytes(stream: Readable, length: number): Readable {
  let left = length;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (left <= 0) return cb();
      const part = chunk.length <= left ? chunk : chunk.subarray(0, left);
      left -= part.length;
      this.push(part);
      if (left <= 0) {
        this.push(null);
        stream.unpipe(out);
        stream.destroy();
      }
      cb();
    },
  });
  stream.on('error', (e) => out.destroy(e));
  out.on('close', () => stream.destroy());
  return stream.pipe(out);
}

function normalisePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (!p) return '';
  try {
    assertSafeKey(p);
  } catch {
    throw new ValidationError(
      `The S3 prefix ${JSON.stringify(prefix)} is not valid: use a relative path such as "montu" or "studio/montu".`,
    );
  }
  return p;
}

export function copySource(bucket: string, objectKey: string): string {
  return `${bucket}/${objectKey.split('/').map(encodeURIComponent).join('/')}`;
}

/** `attachment` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(fileName: string): string {
  const clean = fileName.replace(/[\u0000-\u001f\u007f"\\/]/g, '_');
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_');
  const encoded = encodeURIComponent(clean).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function nameOf(e: unknown): string | undefined {
  return (
    (e as { name?: string; Code?: string } | undefined)?.Code ?? (e as { name?: string } | undefined)?.name
  );
}

export function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

export function isNotFound(e: unknown): boolean {
  const name = nameOf(e);
  return (
    name === 'NoSuchKey' ||
    name === 'NotFound' ||
    name === 'NoSuchUpload' ||
    (statusOf(e) === 404 && name !== 'NoSuchBucket')
  );
}

export function isNotImplemented(e: unknown): boolean {
  const name = nameOf(e);
  const status = statusOf(e);
  return name === 'NotImplemented' || name === 'MethodNotAllowed' || status === 501 || status === 405;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
]);

/** Maps SDK and network errors to a StorageError a user can act on; Montu errors pass through. */
export function s3Failure(e: unknown, what: string, bucket: string): Error {
  if (e instanceof MontuError) return e;
  const name = nameOf(e);
  const status = statusOf(e);
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  const details: Record<string, unknown> = { bucket };
  if (name) details.s3Code = name;
  if (status) details.httpStatus = status;
  if (name === 'NoSuchBucket') {
    return new StorageError(
      `Could not ${what}: the S3 bucket ${bucket} does not exist. Create it or fix storage.s3.bucket.`,
      {
        cause: e,
        details,
      },
    );
  }
  if (
    status === 403 ||
    name === 'AccessDenied' ||
    name === 'InvalidAccessKeyId' ||
    name === 'SignatureDoesNotMatch' ||
    name === 'ExpiredToken' ||
    name === 'CredentialsProviderError'
  ) {
    return new StorageError(
      `The object store refused to ${what}: ${msg} Check the S3 credentials and the bucket policy for ${bucket}.`,
      { cause: e, details },
    );
  }
  if (name === 'QuotaExceeded' || name === 'XMinioStorageFull' || status === 507) {
    return new StorageError(
      `The object store is full: could not ${what}. Free space or raise the quota, then retry.`,
      {
        cause: e,
        details,
        full: true,
      },
    );
  }
  if ((code && NETWORK_CODES.has(code)) || (name && NETWORK_CODES.has(name))) {
    return new StorageError(
      `Could not reach the object store to ${what} (${code ?? name}): ${msg} Check the S3 endpoint and the network; the request was retried.`,
      { cause: e, details },
    );
  }
  if (status !== undefined && status >= 500) {
    return new StorageError(
      `The object store failed to ${what} (HTTP ${status}${name ? ` ${name}` : ''}) after retries: ${msg}`,
      {
        cause: e,
        details,
      },
    );
  }
  return new StorageError(`Could not ${what} in S3 bucket ${bucket}: ${name ? `${name}: ` : ''}${msg}`, {
    cause: e,
    details,
  });
}
