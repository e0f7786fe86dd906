/** Maintenance's SQL (file records, version claims): the only module of maintenance/ that uses Kysely. */
import type { Selectable } from 'kysely';
import type { Db, VersionReservationTable } from '../db/schema.js';

/** Every file record on a storage backend, with its item's project. */
export function recordedFiles(db: Db, backend: string) {
  return db
    .selectFrom('media_file')
    .innerJoin('media', 'media.id', 'media_file.media_id')
    .select([
      'media_file.id',
      'media_file.media_id',
      'media_file.role',
      'media_file.storage_key',
      'media_file.sha256',
      'media_file.size',
      'media_file.state',
      'media.project_id',
    ])
    .where('media_file.backend', '=', backend)
    .orderBy('media_file.id')
    .execute();
}

/** True when a file record points at this key (checked again just before removing a file). */
export async function isRecorded(db: Db, backend: string, key: string): Promise<boolean> {
  const row = await db
    .selectFrom('media_file')
    .select('id')
    .where('backend', '=', backend)
    .where('storage_key', '=', key)
    .executeTakeFirst();
  return row !== undefined;
}

export function versionClaims(db: Db): Promise<Selectable<VersionReservationTable>[]> {
  return db.selectFrom('version_reservation').selectAll().execute();
}

export async function deleteVersionClaim(db: Db, claim: Selectable<VersionReservationTable>): Promise<void> {
  await db
    .deleteFrom('version_reservation')
    .where('project_id', '=', claim.project_id)
    .where('task_id', '=', claim.task_id)
    .where('version_number', '=', claim.version_number)
    .where('owner', '=', claim.owner)
    .execute();
}

export async function markFileState(
  db: Db,
  fileId: string,
  state: 'missing' | 'corrupt',
  message: string,
): Promise<void> {
  await db.updateTable('media_file').set({ state, error: message }).where('id', '=', fileId).execute();
}
