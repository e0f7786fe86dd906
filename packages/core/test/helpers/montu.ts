import fs from 'node:fs';
import path from 'node:path';
import { openMontu, type Montu, type MontuOptions } from '../../src/index.js';
import { freshDatabase, tempDir } from './env.js';

export interface TestLibrary {
  montu: Montu;
  dir: string;
  storageRoot: string;
  databaseUrl: string;
  reopen(extra?: Partial<MontuOptions>): Promise<Montu>;
  cleanup(): Promise<void>;
}

export async function openTestLibrary(
  kind: 'sqlite' | 'postgres',
  extra: Partial<MontuOptions> = {},
): Promise<TestLibrary> {
  const dir = tempDir();
  const db = await freshDatabase(kind, dir);
  const storageRoot = path.join(dir, 'storage');
  const open = (more: Partial<MontuOptions> = {}) =>
    openMontu({
      dataDir: dir,
      databaseUrl: db.url,
      storage: { type: 'local', root: storageRoot },
      ...extra,
      ...more,
    });
  const lib: TestLibrary = {
    montu: await open(),
    dir,
    storageRoot,
    databaseUrl: db.url,
    async reopen(more) {
      await lib.montu.close();
      lib.montu = await open(more);
      return lib.montu;
    },
    async cleanup() {
      await lib.montu.close();
      await db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return lib;
}
