import type { Db } from '../db/schema.js';

/** The SQL of a storage migration (migrate.ts): which backend each recorded file is on. */

export interface FileToMove {
  id: string;
  storage_key: string;
  sha256: string;
  size: number;
  content_type: string | null;
  backend: string;
}

/** How many recorded files are on `backend`. */
export async function countFilesOn(db: Db, backend: string): Promise<number> {
  const row = await db
    .selectFrom('media_file')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('backend', '=', backend)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The recorded files not on `backend`, by id. */
export async function filesNotOn(db: Db, backend: string): Promise<FileToMove[]> {
  const rows = await db
    .selectFrom('media_file')
    .select(['id', 'storage_key', 'sha256', 'size', 'content_type', 'backend'])
    .where('backend', '!=', backend)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, size: Number(r.size) }));
}

/** Switches file `id` from backend `from` to `to` (nothing if it is no longer on `from`). */
export async function switchFileBackend(db: Db, id: string, from: string, to: string): Promise<void> {
  await db
    .updateTable('media_file')
    .set({ backend: to })
    .where('id', '=', id)
    .where('backend', '=', from)
    .execute();
}

/** Files and bytes per backend name. */
export async function filesPerBackend(
  db: Db,
): Promise<Array<{ backend: string; files: number; bytes: number }>> {
  const rows = await db
    .selectFrom('media_file')
    .select((eb) => ['backend', eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('bytes')])
    .groupBy('backend')
    .execute();
  return rows.map((r) => ({ backend: r.backend, files: Number(r.n), bytes: Number(r.bytes ?? 0) }));
}
