/**
 * The object-store half of direct-to-S3 uploads (decision 160): a multipart upload to a temporary
 * key that clients fill through presigned part URLs, its completion, the verifying read, and the
 * server-side copy into the version's key. What the uploads mean is uploads/s3-direct.ts.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StorageError, ValidationError } from '@montu/domain';
import type { StoredObject } from './backend.js';
import { TEMP_DIR } from './keys.js';
import {
  awsSdk,
  copySource,
  isNotFound,
  isNotImplemented,
  nameOf,
  s3Failure,
  statusOf,
  type S3Storage,
} from './s3.js';

/** CopyObject's largest source; larger objects are copied part by part (UploadPartCopy). */
const MAX_COPY_OBJECT_BYTES = 5 * 1024 * 1024 * 1024;
/** Part size of a multipart copy. */
const COPY_PART_BYTES = 1024 * 1024 * 1024;

/**
 * The bucket key a direct upload writes to: under the temporary area (never listed as a stored
 * file, swept after `staleAfterMs` like any temporary write), named after the upload.
 */
export function directStagingKey(storage: S3Storage, uploadId: string): string {
  return `${storage.base}${TEMP_DIR}/direct~${uploadId}`;
}

export async function createMultipartUpload(
  storage: S3Storage,
  objectKey: string,
  contentType: string,
): Promise<string> {
  try {
    const out = await storage.client.send(
      new (awsSdk().s3.CreateMultipartUploadCommand)({
        Bucket: storage.bucket,
        Key: objectKey,
        ContentType: contentType,
      }),
    );
    if (!out.UploadId) throw new StorageError('The object store started a multipart upload without an id.');
    return out.UploadId;
  } catch (e) {
    throw s3Failure(e, 'start a direct upload', storage.bucket);
  }
}

/** A URL that takes one part's bytes by PUT, for `expiresIn` seconds, with no other credential. */
export async function presignPart(
  storage: S3Storage,
  objectKey: string,
  s3UploadId: string,
  partNumber: number,
  expiresIn: number,
): Promise<string> {
  const command = new (awsSdk().s3.UploadPartCommand)({
    Bucket: storage.bucket,
    Key: objectKey,
    UploadId: s3UploadId,
    PartNumber: partNumber,
  });
  try {
    return await awsSdk().getSignedUrl(storage.presignClient, command, { expiresIn });
  } catch (e) {
    throw s3Failure(e, 'sign a part upload URL', storage.bucket);
  }
}

/**
 * Completes the multipart upload from the parts the client recorded. A part whose ETag the store
 * does not hold (never sent, sent again since, damaged) is the client's 400: nothing is completed.
 * A completion that already happened (a finisher that died afterwards) is not an error when the
 * object is there.
 */
export async function completeMultipartUpload(
  storage: S3Storage,
  objectKey: string,
  s3UploadId: string,
  parts: Array<{ partNumber: number; etag: string }>,
): Promise<void> {
  try {
    await storage.client.send(
      new (awsSdk().s3.CompleteMultipartUploadCommand)({
        Bucket: storage.bucket,
        Key: objectKey,
        UploadId: s3UploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    );
  } catch (e) {
    const name = nameOf(e);
    if (name === 'NoSuchUpload' && (await objectSize(storage, objectKey)) !== null) return;
    if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') {
      throw new ValidationError(
        `The object store does not hold the parts as recorded (${name}): a part was not uploaded, or its ETag is not the one the store answered. Upload the part again and record its ETag; nothing was stored.`,
        { reason: 'parts_mismatch', s3Code: name },
      );
    }
    if (statusOf(e) === 400) {
      throw new ValidationError(
        `The object store refused to complete the upload (${name ?? 'HTTP 400'}); nothing was stored.`,
        { reason: 'parts_mismatch', s3Code: name },
      );
    }
    throw s3Failure(e, 'complete a direct upload', storage.bucket);
  }
}

/** Gives up a multipart upload; stores without AbortMultipartUpload (s3rver) leave it to the sweep. */
export async function abortMultipartUpload(
  storage: S3Storage,
  objectKey: string,
  s3UploadId: string,
): Promise<void> {
  try {
    await storage.client.send(
      new (awsSdk().s3.AbortMultipartUploadCommand)({
        Bucket: storage.bucket,
        Key: objectKey,
        UploadId: s3UploadId,
      }),
    );
  } catch (e) {
    if (isNotFound(e) || isNotImplemented(e)) return;
    throw s3Failure(e, 'cancel a direct upload', storage.bucket);
  }
}

export async function objectSize(storage: S3Storage, objectKey: string): Promise<number | null> {
  try {
    const out = await storage.client.send(
      new (awsSdk().s3.HeadObjectCommand)({ Bucket: storage.bucket, Key: objectKey }),
    );
    return out.ContentLength ?? 0;
  } catch (e) {
    if (isNotFound(e)) return null;
    throw s3Failure(e, 'look at a direct upload', storage.bucket);
  }
}

/** What the verifying read measured, and the first bytes (for sniffing the type). */
export interface ReadBack {
  size: number;
  sha256: string;
  head: Buffer;
}

/**
 * Reads the whole object back and hashes it: s3rver, and S3 for multipart objects, report no
 * full-object SHA-256, so this read is what proves the stored bytes are the file the client
 * declared (the server reads at its network's speed; no byte is sent back up).
 */
export async function readBack(storage: S3Storage, objectKey: string, headBytes: number): Promise<ReadBack> {
  let body: Readable;
  try {
    const out = await storage.client.send(
      new (awsSdk().s3.GetObjectCommand)({ Bucket: storage.bucket, Key: objectKey }),
    );
    if (!out.Body) throw new StorageError('The object store returned no body for a direct upload.');
    body = out.Body as Readable;
  } catch (e) {
    throw s3Failure(e, 'read back a direct upload', storage.bucket);
  }
  const hash = createHash('sha256');
  let size = 0;
  const head: Buffer[] = [];
  let headLength = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      if (headLength < headBytes) {
        const take = chunk.subarray(0, headBytes - headLength);
        head.push(Buffer.from(take));
        headLength += take.length;
      }
    }
  } catch (e) {
    throw s3Failure(e, 'read back a direct upload', storage.bucket);
  }
  return { size, sha256: hash.digest('hex'), head: Buffer.concat(head) };
}

/**
 * Copies the verified upload into `key` inside the store (no byte passes through Montu), with its
 * sha256 in the object's metadata as every stored object has it. Objects up to 5 GiB in one
 * CopyObject; larger ones by a multipart copy.
 */
export async function copyIntoPlace(
  storage: S3Storage,
  fromObjectKey: string,
  key: string,
  object: { size: number; sha256: string; contentType: string },
): Promise<StoredObject> {
  const target = storage.objectKey(key);
  const s3 = awsSdk().s3;
  const source = copySource(storage.bucket, fromObjectKey);
  try {
    if (object.size <= MAX_COPY_OBJECT_BYTES) {
      await storage.client.send(
        new s3.CopyObjectCommand({
          Bucket: storage.bucket,
          Key: target,
          CopySource: source,
          MetadataDirective: 'REPLACE',
          Metadata: { sha256: object.sha256 },
          ContentType: object.contentType,
        }),
      );
    } else {
      const created = await storage.client.send(
        new s3.CreateMultipartUploadCommand({
          Bucket: storage.bucket,
          Key: target,
          Metadata: { sha256: object.sha256 },
          ContentType: object.contentType,
        }),
      );
      const uploadId = created.UploadId!;
      try {
        const parts: Array<{ PartNumber: number; ETag: string }> = [];
        for (let start = 0, n = 1; start < object.size; start += COPY_PART_BYTES, n++) {
          const end = Math.min(object.size, start + COPY_PART_BYTES) - 1;
          const out = await storage.client.send(
            new s3.UploadPartCopyCommand({
              Bucket: storage.bucket,
              Key: target,
              UploadId: uploadId,
              PartNumber: n,
              CopySource: source,
              CopySourceRange: `bytes=${start}-${end}`,
            }),
          );
          parts.push({ PartNumber: n, ETag: out.CopyPartResult?.ETag ?? '' });
        }
        await storage.client.send(
          new s3.CompleteMultipartUploadCommand({
            Bucket: storage.bucket,
            Key: target,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      } catch (e) {
        await abortMultipartUpload(storage, target, uploadId).catch(() => undefined);
        throw e;
      }
    }
  } catch (e) {
    throw s3Failure(e, `store ${key}`, storage.bucket);
  }
  const landed = await objectSize(storage, target);
  if (landed !== object.size) {
    await deleteObject(storage, target).catch(() => undefined);
    throw new StorageError(
      `The object store copied ${key} as ${landed ?? 'no'} bytes, not ${object.size}; nothing was kept.`,
    );
  }
  return { key, size: object.size, sha256: object.sha256 };
}

export async function deleteObject(storage: S3Storage, objectKey: string): Promise<void> {
  try {
    await storage.client.send(
      new (awsSdk().s3.DeleteObjectCommand)({ Bucket: storage.bucket, Key: objectKey }),
    );
  } catch (e) {
    if (isNotFound(e)) return;
    throw s3Failure(e, 'remove a direct upload', storage.bucket);
  }
}
