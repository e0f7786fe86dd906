import type { Kysely } from 'kysely';
import { nameKey } from '@montu/domain';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * Pipelines act for people (decision 095):
 * - `api_token.act_for_others`: a pipeline token may record another person as author,
 *   submitter or approver;
 * - `sequence_upload.via`: who really started a sequence upload made in someone's name, for
 *   the history written when it completes;
 * - `media.author_key`: the author folded for matching (`nameKey`), so the author filter of a
 *   search ignores case the same way on SQLite and PostgreSQL (SQLite's lower() folds ASCII only).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_token')
    .addColumn('act_for_others', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('sequence_upload').addColumn('via', 'text').execute();
  await db.schema
    .alterTable('media')
    .addColumn('author_key', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  // One UPDATE per distinct author: a library has a few hundred authors, not one per item.
  const authors = await db.selectFrom('media').select('author').distinct().execute();
  for (const { author } of authors as Array<{ author: string }>) {
    await db
      .updateTable('media')
      .set({ author_key: nameKey(author) })
      .where('author', '=', author)
      .execute();
  }
  await db.schema.dropIndex('media_author_idx').execute();
  await db.schema
    .createIndex('media_author_key_idx')
    .on('media')
    .columns(['author_key', 'created_at'])
    .execute();
}
