// Ingests every file of a folder into a fresh library with processing on and waits for each
// (used under strace by bad-input.test.ts). Usage: node ingest-dir.mjs <inputs> <libraryDir>
import fs from 'node:fs';
import path from 'node:path';
import { openMontu } from '@montu/core';

const [inputs, dir] = process.argv.slice(2);
fs.mkdirSync(dir, { recursive: true });
const montu = await openMontu({
  dataDir: dir,
  databaseUrl: path.join(dir, 'montu.db'),
  storage: { type: 'local', root: path.join(dir, 'storage') },
  jobs: { concurrency: 1, retry: { maxAttempts: 1, backoffMs: 10 }, pollMs: 100 },
  processing: { limits: { probeTimeoutMs: 20_000, thumbnailTimeoutMs: 30_000, proxyTimeoutMs: 60_000 } },
});
try {
  for (const name of fs.readdirSync(inputs).sort()) {
    try {
      const id = await montu.media.uploadMedia({
        filePath: path.join(inputs, name),
        projectId: 'STR',
        taskId: 'ep01_sq010_sh010_fx',
        author: 'strace',
        wait: true,
      });
      const m = await montu.media.getMediaById(id);
      console.log(`${name}: ${m.processingState} ${m.processingError ?? ''}`);
    } catch (e) {
      console.log(`${name}: refused ${e.message}`);
    }
  }
} finally {
  await montu.close();
}
