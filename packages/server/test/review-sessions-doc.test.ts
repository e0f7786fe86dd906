/**
 * docs/review.md's live-session walk-through, run as written: each line is who, method, path,
 * optional JSON body and the expected status; `$SESSION` is the id the first answer gives.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, makePng, startTestServer, type TestServer } from './helpers.js';

const DOC = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../docs/review.md');

/** The ```text block of the "Live sessions" section. */
function walkThrough(): string[] {
  const md = fs.readFileSync(DOC, 'utf8');
  const section = md.slice(md.indexOf('## Live sessions'));
  const block = /```text\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/review.md: no walk-through under "Live sessions"');
  return block.split('\n').filter((l) => l.trim());
}

describe('docs/review.md live-session walk-through', () => {
  let t: TestServer;
  const vars: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestServer('sqlite');
    for (const [i, task] of ['ep01_sq010_sh010_comp', 'ep01_sq010_sh020_comp'].entries()) {
      const png = await makePng(path.join(t.dir, `p${i}.png`), 32, 16);
      vars[`MEDIA${i + 1}`] = await t.montu.media.uploadMedia({
        filePath: png,
        projectId: 'SWA',
        taskId: task,
        author: 'ann',
      });
    }
    for (const name of ['sup', 'bea']) {
      const user = await t.montu.users.createUser({ username: name });
      await t.montu.users.setMembership('SWA', user.id, name === 'sup' ? 'supervisor' : 'artist');
      tokens[name] = (await t.montu.users.createToken(user.id, { name: 'doc' })).token;
    }
    const pl = await t.montu.playlists.createPlaylist({
      projectId: 'SWA',
      name: 'Dailies',
      owner: 'sup',
      mediaIds: [vars['MEDIA1']!, vars['MEDIA2']!],
    });
    vars['PLAYLIST'] = pl.id;
  });
  afterAll(async () => t.close());

  it('every step answers the status the page says', async () => {
    const lines = walkThrough();
    expect(lines.length).toBeGreaterThan(5);
    const fill = (s: string) => s.replace(/\$([A-Z0-9]+)/g, (_, k: string) => vars[k] ?? `$${k}`);
    for (const line of lines) {
      const m = /^(\w+)\s+(GET|POST|PATCH|DELETE)\s+(\S+)\s*(\{.*\})?\s+(\d{3})$/.exec(line.trim());
      expect(m, line).not.toBeNull();
      const [, who, method, route, body, status] = m!;
      const res = await call(`${t.api}${fill(route!)}`, tokens[who!]!, {
        method: method!,
        ...(body ? { json: JSON.parse(fill(body)) as unknown } : {}),
      });
      const answer = (await res.json()) as { id?: string };
      expect(res.status, `${line}\n${JSON.stringify(answer)}`).toBe(Number(status));
      if (!vars['SESSION'] && answer.id) vars['SESSION'] = answer.id;
    }
    const summary = (await (
      await call(`${t.api}/review-sessions/${vars['SESSION']}/summary`, tokens['sup']!)
    ).json()) as {
      noteCount: number;
      session: { status: string; state: { colour: { view: string } } };
    };
    expect(summary).toMatchObject({
      noteCount: 1,
      session: { status: 'ended', state: { colour: { view: 'Filmic' } } },
    });
  });
});
