/**
 * migration 015 on a library made before it (decision 155): a sequence upload in flight in the
 * old tables (`sequence_upload`, `sequence_upload_frame`) becomes an upload session, and the
 * client carries on with the frames still pending. On SQLite and PostgreSQL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, makePng } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';

describe.each(DATABASES)('sequence uploads moved onto upload sessions (migration 015) on %s', (kind) => {
  let lib: TestLibrary;
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: false });
  });
  afterAll(async () => {
    await lib.cleanup();
  });

  it('carries an upload in flight over; the client finishes it', async () => {
    const png = fs.readFileSync(await makePng(path.join(lib.dir, 'frame.png')));
    const up = await lib.montu.sequences.startSequenceUpload({
      projectId: 'MIG',
      taskId: 'seq',
      author: 'Ana',
      via: 'pipeline',
      description: 'carried over',
      tags: ['plate'],
      fps: '24',
      frames: [
        { frame: 1001, fileName: 'seq.1001.png' },
        { frame: 1002, fileName: 'seq.1002.png' },
      ],
    });
    await lib.montu.sequences.putSequenceFrame(up.uploadId, 1001, Readable.from([png]));
    const session = await lib.montu.db
      .selectFrom('upload_session')
      .selectAll()
      .where('id', '=', up.uploadId)
      .executeTakeFirstOrThrow();
    const frame = await lib.montu.db
      .selectFrom('upload_session_frame')
      .selectAll()
      .where('upload_id', '=', up.uploadId)
      .executeTakeFirstOrThrow();
    const declared = JSON.parse(session.details!) as Record<string, unknown>;

    // Back to the schema of before 014, with this upload in the old tables.
    const db = lib.montu.db;
    const big = kind === 'postgres' ? 'bigint' : 'integer';
    await sql`DELETE FROM upload_session WHERE kind = 'sequence'`.execute(db);
    await db.schema.dropTable('upload_session_frame').execute();
    await db.schema.alterTable('upload_session').dropColumn('details').execute();
    await db.schema
      .createTable('sequence_upload')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('version_number', 'integer', (c) => c.notNull())
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('fps', 'text')
      .addColumn('file_name', 'text', (c) => c.notNull())
      .addColumn('frames', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('via', 'text')
      .execute();
    await db.schema
      .createTable('sequence_upload_frame')
      .addColumn('upload_id', 'text', (c) => c.notNull().references('sequence_upload.id').onDelete('cascade'))
      .addColumn('frame', 'integer', (c) => c.notNull())
      .addColumn('storage_key', 'text', (c) => c.notNull())
      .addColumn('size', big, (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('sequence_upload_frame_pk', ['upload_id', 'frame'])
      .execute();
    await sql`INSERT INTO sequence_upload (id, project_id, task_id, version_number, author, description, tags, fps, file_name, frames, owner, created_at, via)
      VALUES (${up.uploadId}, 'MIG', 'seq', ${declared['versionNumber'] as number}, 'Ana', 'carried over', '["plate"]', '24/1',
        ${declared['fileName'] as string}, ${JSON.stringify(declared['frames'])}, 'client', ${session.created_at}, 'pipeline')`.execute(
      db,
    );
    await sql`INSERT INTO sequence_upload_frame (upload_id, frame, storage_key, size, sha256, content_type)
      VALUES (${up.uploadId}, 1001, ${frame.storage_key}, ${Number(frame.size)}, ${frame.sha256}, ${frame.content_type})`.execute(
      db,
    );
    await sql`DELETE FROM kysely_migration WHERE name = '015_core_sequence_upload_sessions'`.execute(db);

    await lib.reopen();
    const moved = await lib.montu.db
      .selectFrom('upload_session')
      .selectAll()
      .where('id', '=', up.uploadId)
      .executeTakeFirstOrThrow();
    expect(moved).toMatchObject({ kind: 'sequence', state: 'uploading', lease: null, user_id: 'pipeline' });
    expect([Number(moved.offset), Number(moved.size)]).toEqual([1, 2]);
    expect((await lib.montu.sequences.getSequenceUpload(up.uploadId)).pendingFrames).toEqual([1002]);
    await lib.montu.sequences.putSequenceFrame(up.uploadId, 1002, Readable.from([png]));
    const id = await lib.montu.sequences.completeSequenceUpload(up.uploadId);
    const m = await lib.montu.media.getMediaById(id);
    expect(m).toMatchObject({
      mediaType: 'sequence',
      author: 'Ana',
      description: 'carried over',
      tags: ['plate'],
      version: up.version,
    });
    expect(m.files.filter((f) => f.role === 'frame').map((f) => f.frame)).toEqual([1001, 1002]);
  });
});
