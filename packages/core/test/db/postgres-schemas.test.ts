import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';

const BASE = process.env['MONTU_TEST_DATABASE_URL'];

// Test suites (and studios running several Montu instances on one server) give each database
// its own schema; one of them being dropped must never break another one's start-up.
describe.skipIf(!BASE)('PostgreSQL databases in schemas of one server', () => {
  it('open and migrate while other schemas are created and dropped around them', async () => {
    const admin = new pg.Client({ connectionString: BASE });
    await admin.connect();
    let churning = true;
    const churn = (async () => {
      // Schemas with a serial column (what Kysely's stock introspector resolves by name).
      while (churning) {
        const s = `churn_${randomBytes(5).toString('hex')}`;
        await admin.query(`CREATE SCHEMA ${s}`);
        for (let i = 0; i < 10; i++) await admin.query(`CREATE TABLE ${s}.t${i} (id serial primary key)`);
        await admin.query(`DROP SCHEMA ${s} CASCADE`);
      }
    })();
    const opened: string[] = [];
    try {
      for (let i = 0; i < 12; i++) {
        const schema = `t_${randomBytes(6).toString('hex')}`;
        const url = new URL(BASE!);
        url.searchParams.set('schema', schema);
        const handle = await openDatabase({ databaseUrl: url.toString() });
        opened.push(schema);
        const tables = await handle.db.introspection.getTables();
        expect(tables.map((t) => t.name)).toContain('media');
        await handle.close();
      }
    } finally {
      churning = false;
      await churn;
      for (const s of opened) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await admin.end();
    }
    expect(opened).toHaveLength(12);
  });
});
