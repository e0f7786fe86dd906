import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * A note's revision (decision 131): counts its edits, so a drawing saved against an older
 * revision is refused (409 with the current strokes) instead of silently replacing strokes
 * someone else drew meanwhile. Existing notes start at 1.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('annotation')
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
}
