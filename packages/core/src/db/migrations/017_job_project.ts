import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * Each job carries its own project (decision 203), so the job store scopes listings and job
 * events without reading the media table. Null for jobs of no project (webhook deliveries).
 * Existing jobs take their item's project; the index serves a listing of some projects, newest first.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('job').addColumn('project_id', 'text').execute();
  await sql`UPDATE job SET project_id = (SELECT media.project_id FROM media WHERE media.id = job.media_id)
    WHERE job.media_id IS NOT NULL`.execute(db);
  await db.schema
    .createIndex('job_project_idx')
    .on('job')
    .columns(['project_id', 'created_at', 'id'])
    .execute();
}
