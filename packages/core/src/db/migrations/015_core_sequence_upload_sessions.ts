import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * Sequence uploads move onto the shared `upload_session` model (issue 19, item 4; decision 155):
 * one table says who an upload belongs to, which process holds it, how far it got and how it
 * ended, for tus and sequence uploads alike. A sequence's declaration (task, version, frames…)
 * goes into `details` (JSON); its received frames into `upload_session_frame`, which cascades
 * with the session. Uploads in flight are carried over: a client resumes them after the upgrade.
 */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.alterTable('upload_session').addColumn('details', 'text').execute();
  await db.schema
    .createTable('upload_session_frame')
    .addColumn('upload_id', 'text', (c) => c.notNull().references('upload_session.id').onDelete('cascade'))
    .addColumn('frame', 'integer', (c) => c.notNull())
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('upload_session_frame_pk', ['upload_id', 'frame'])
    .execute();

  const uploads = (await db.selectFrom('sequence_upload').selectAll().execute()) as Array<{
    id: string;
    project_id: string;
    task_id: string;
    version_number: number;
    author: string;
    description: string;
    tags: string;
    fps: string | null;
    file_name: string;
    frames: string;
    owner: string;
    via: string | null;
    created_at: string;
  }>;
  for (const u of uploads) {
    const frames = JSON.parse(u.frames) as unknown[];
    const received = (await db
      .selectFrom('sequence_upload_frame')
      .selectAll()
      .where('upload_id', '=', u.id)
      .execute()) as Array<Record<string, unknown>>;
    await db
      .insertInto('upload_session')
      .values({
        id: u.id,
        kind: 'sequence',
        user_id: u.via ?? u.author,
        state: 'uploading',
        // A process-driven (local) upload is held by its process; a client-driven one by nobody.
        lease: u.owner === 'client' ? null : u.owner,
        offset: received.length,
        size: frames.length,
        media_id: null,
        error: null,
        created_at: u.created_at,
        updated_at: u.created_at,
        details: JSON.stringify({
          projectId: u.project_id,
          taskId: u.task_id,
          versionNumber: Number(u.version_number),
          author: u.author,
          via: u.via,
          description: u.description,
          tags: JSON.parse(u.tags) as unknown,
          fps: u.fps,
          fileName: u.file_name,
          frames,
        }),
      })
      .execute();
    for (const f of received) await db.insertInto('upload_session_frame').values(f).execute();
  }
  await db.schema.dropTable('sequence_upload_frame').execute();
  await db.schema.dropTable('sequence_upload').execute();
}
