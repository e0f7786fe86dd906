import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * How a rendition was made (size, display transform, OCIO display/view, video timestamp), as
 * JSON on its file row: a thumbnail of a linear render says which transform made it, so a
 * studio can tell a built-in sRGB thumbnail from one made through its OCIO config.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('media_file').addColumn('info', 'text').execute();
}
