import type { Kysely } from 'kysely';
import { sourceStart, type MediaType } from '@montu/domain';
import type { DialectName } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * Source time on the media record (decision 130): `start_timecode`, the source timecode of the
 * first frame (a movie's `tmcd` track, an MXF's `timecode`, drop-frame kept) and `start_frame`,
 * the source frame number of the first frame. Existing movies and sequences are filled from the
 * metadata already recorded, by the same domain rule new records use (`sourceStart`), in
 * batches keyed by id so a large library never holds every row in memory.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('media').addColumn('start_timecode', 'text').execute();
  await db.schema.alterTable('media').addColumn('start_frame', 'integer').execute();
  const settings = new Map<string, Record<string, unknown>>();
  for (const p of (await db.selectFrom('project').select(['id', 'settings']).execute()) as Array<{
    id: string;
    settings: string;
  }>) {
    settings.set(p.id, parseObject(p.settings));
  }
  let after = '';
  for (;;) {
    const rows = (await db
      .selectFrom('media')
      .select(['id', 'project_id', 'media_type', 'metadata'])
      .where('media_type', 'in', ['video', 'sequence'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(500)
      .execute()) as Array<{ id: string; project_id: string; media_type: MediaType; metadata: string }>;
    if (rows.length === 0) break;
    for (const r of rows) {
      const start = sourceStart(r.media_type, parseObject(r.metadata), settings.get(r.project_id) ?? {});
      await db
        .updateTable('media')
        .set({ start_timecode: start.startTimecode, start_frame: start.startFrame })
        .where('id', '=', r.id)
        .execute();
    }
    after = rows[rows.length - 1]!.id;
  }
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
