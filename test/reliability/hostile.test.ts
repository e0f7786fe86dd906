/**
 * Hostile requests against a real server on loopback: path traversal in every name, key and
 * pattern; oversized headers and bodies; malformed JSON; SQL injection in every filter and id;
 * huge page sizes; bad ranges; other users' and projects' tokens (IDOR); expired and revoked
 * tokens; CSRF on cookie sessions; login rate limiting.
 */
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  CORPUS,
  seedWorld,
  startTestServer,
  uploadForm,
  type TestServer,
  type World,
} from '../../packages/server/test/helpers.js';
import { minimalValid, type OpenApiDoc, type Schema } from './helpers/openapi.js';

function tusMetadata(meta: Record<string, string>): string {
  return Object.entries(meta)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}

const JPEG = fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg'));
const TASK = 'ep01_sq010_sh020_lighting';
const MARK = `trav${randomBytes(4).toString('hex')}`;

/** Traversal spellings, each aiming at /tmp/<MARK>… outside the storage root. */
const TRAVERSALS = [
  `../../../../../../../../tmp/${MARK}a.jpg`,
  `..%2f..%2f..%2f..%2f..%2f..%2ftmp%2f${MARK}b.jpg`,
  `%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2ftmp%2f${MARK}c.jpg`,
  `%252e%252e%252f%252e%252e%252ftmp%252f${MARK}d.jpg`,
  `/tmp/${MARK}e.jpg`,
  `..\\..\\..\\..\\..\\..\\tmp\\${MARK}f.jpg`,
  `C:\\Windows\\${MARK}g.jpg`,
  `shot\u0000/../../../../../tmp/${MARK}h.jpg`,
  `....//....//....//tmp/${MARK}i.jpg`,
  `.montu-tmp/${MARK}j.jpg`,
  `..`,
  `.`,
];

const SQLI = [
  `' OR '1'='1`,
  `1; DROP TABLE media; --`,
  `" OR ""="`,
  `') UNION SELECT id, sha256, storage_key FROM media_file --`,
  `%' AND 1=1 AND '%'='`,
  `\\'; SELECT pg_sleep(5); --`,
  `1) OR (1=1`,
];

/** Every file under `dir`, as paths relative to it. */
function walk(dir: string, base = dir, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, base, out);
    else out.push(path.relative(base, p));
  }
  return out;
}

function noCanaryOutsideStorage(t: TestServer): void {
  // Nothing named after the marker outside the storage root: not in /tmp, not in the data dir.
  const tmpHits = fs.readdirSync('/tmp').filter((n) => n.includes(MARK));
  expect(tmpHits).toEqual([]);
  const dataHits = walk(t.dir).filter(
    (p) => p.includes(MARK) && !p.startsWith('storage/') && !p.startsWith('uploads/'),
  );
  expect(dataHits).toEqual([]);
  for (const f of walk(path.join(t.dir, 'storage'))) {
    const real = fs.realpathSync(path.join(t.dir, 'storage', f));
    expect(real.startsWith(fs.realpathSync(path.join(t.dir, 'storage')) + path.sep)).toBe(true);
    for (const seg of f.split(path.sep)) expect(seg === '..' || seg === '.').toBe(false);
  }
}

async function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.setTimeout(10_000, () => sock.destroy(new Error('raw request timed out')));
    sock.on('data', (d) => (data += d.toString('latin1')));
    sock.on('end', () => resolve(data));
    sock.on('close', () => resolve(data));
    sock.on('error', (e) => (data ? resolve(data) : reject(e)));
    sock.write(text); // not end(): a half-closed client socket may be dropped before the answer
  });
}

describe('hostile requests (sqlite, local storage)', () => {
  let t: TestServer;
  let w: World;
  let mine: string; // SWA media
  let theirs: string; // OTH media
  let port: number;

  beforeAll(async () => {
    t = await startTestServer('sqlite', {
      limits: { maxUploadBytes: 2 * 1024 * 1024, maxJsonBodyBytes: 64 * 1024, maxHeaderBytes: 16 * 1024 },
    });
    w = await seedWorld(t);
    port = Number(new URL(t.url).port);
    const a = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'SWA', taskId: TASK },
      { name: 'shot.jpg', data: JPEG },
    );
    expect(a.status, await a.clone().text()).toBe(201);
    mine = ((await a.json()) as { id: string }).id;
    const b = await uploadForm(
      t.api,
      w.users.outsider.token,
      { projectId: 'OTH', taskId: 'ep02_sq020_sh030_comp' },
      { name: 'other.jpg', data: JPEG },
    );
    expect(b.status, await b.clone().text()).toBe(201);
    theirs = ((await b.json()) as { id: string }).id;
  });
  afterAll(async () => t?.close());

  it('path traversal in multipart file names is neutralised (stored under a safe name) or refused', async () => {
    for (const name of TRAVERSALS) {
      const r = await uploadForm(
        t.api,
        w.users.artist.token,
        { projectId: 'SWA', taskId: TASK },
        { name, data: JPEG },
      );
      expect([201, 400, 422], `${name}: ${await r.clone().text()}`).toContain(r.status);
      if (r.status === 201) {
        const m = (await r.json()) as { fileName: string };
        expect(m.fileName).not.toContain('/');
        expect(m.fileName).not.toContain('\u0000');
      }
    }
    noCanaryOutsideStorage(t);
  });

  it('path traversal in task ids, project ids and versions is refused with 4xx', async () => {
    for (const bad of TRAVERSALS) {
      for (const fields of [
        { projectId: 'SWA', taskId: bad },
        { projectId: bad, taskId: TASK },
        { projectId: 'SWA', taskId: TASK, version: bad },
      ]) {
        const r = await uploadForm(t.api, w.users.artist.token, fields, { name: 'x.jpg', data: JPEG });
        expect(r.status, `${JSON.stringify(fields)}: ${await r.clone().text()}`).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
      }
    }
    noCanaryOutsideStorage(t);
  });

  it('path traversal in URL path parameters (ids, renditions, frames) gives 4xx', async () => {
    const tok = w.users.artist.token;
    for (const bad of TRAVERSALS) {
      const enc = encodeURIComponent(bad);
      for (const url of [
        `${t.api}/media/${enc}`,
        `${t.api}/media/${mine}/files/${enc}`,
        `${t.api}/media/${mine}/files/frames/${enc}`,
        `${t.api}/media/${enc}/files/original`,
        `${t.api}/projects/${enc}`,
        `${t.api}/uploads/${enc}`,
        `${t.api}/uploads/sequences/${enc}`,
        `${t.api}/tasks/${enc}/versions?projectId=SWA`,
      ]) {
        const r = await call(
          url,
          tok,
          url.includes('/uploads/') && !url.includes('sequences')
            ? { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } }
            : {},
        );
        expect(r.status, url).toBeLessThan(500);
        // fetch resolves '.' and '..' segments before sending (`/tasks/./versions` becomes
        // `/tasks/versions`, a real request for task "versions"); such paths are sent raw below.
        const sentAsWritten = new URL(url).pathname.includes(`/${enc}`);
        if (sentAsWritten) expect(r.status, url).toBeGreaterThanOrEqual(400);
      }
    }
    // Un-normalised paths straight on the socket (fetch would normalise them).
    for (const p of [
      '/api/v1/media/../../../../etc/passwd',
      '/api/v1/media/%2e%2e/%2e%2e/etc/passwd',
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/api/v1/tasks/./versions?projectId=SWA',
      '/api/v1/tasks/../versions?projectId=SWA',
    ]) {
      const res = await rawRequest(
        port,
        `GET ${p} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tok}\r\nConnection: close\r\n\r\n`,
      );
      expect(res, p).toMatch(p.startsWith('/api/v1/tasks/') ? /^HTTP\/1\.1 4\d\d/ : /^HTTP\/1\.1 [2-4]\d\d/);
      expect(res, p).not.toContain('root:x:0:0');
    }
  });

  it('path traversal in sequence patterns and frame names stays inside storage', async () => {
    const tok = w.users.artist.token;
    for (const bad of [...TRAVERSALS, `../../../../tmp/${MARK}seq.####.exr`, `/tmp/${MARK}seq.%04d.exr`]) {
      const r = await call(`${t.api}/uploads/sequences`, tok, {
        method: 'POST',
        json: {
          projectId: 'SWA',
          taskId: 'ep01_sq010_sh030_comp',
          fileName: bad,
          frames: [
            { frame: 1, fileName: bad },
            { frame: 2, fileName: `../../${bad}` },
          ],
        },
      });
      expect(r.status, `${bad}: ${await r.clone().text()}`).toBeLessThan(500);
      if (r.status !== 201) continue;
      const up = (await r.json()) as { uploadId: string };
      for (const frame of [1, 2]) {
        const put = await fetch(`${t.api}/uploads/sequences/${up.uploadId}/frames/${frame}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/octet-stream' },
          body: JPEG,
        });
        expect(put.status, await put.clone().text()).toBeLessThan(500);
      }
      const done = await call(`${t.api}/uploads/sequences/${up.uploadId}/complete`, tok, { method: 'POST' });
      expect(done.status, await done.clone().text()).toBeLessThan(500);
    }
    noCanaryOutsideStorage(t);
  });

  it('path traversal in tus Upload-Metadata file names stays inside storage', async () => {
    const tok = w.users.artist.token;
    for (const bad of TRAVERSALS.slice(0, 8)) {
      const c = await fetch(`${t.api}/uploads`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tok}`,
          'tus-resumable': '1.0.0',
          'upload-length': String(JPEG.length),
          'upload-metadata': tusMetadata({ filename: bad, projectId: 'SWA', taskId: TASK }),
        },
      });
      expect(c.status, await c.clone().text()).toBeLessThan(500);
      if (c.status !== 201) continue;
      const loc = c.headers.get('location')!;
      const p = await fetch(new URL(loc, t.url), {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${tok}`,
          'tus-resumable': '1.0.0',
          'upload-offset': '0',
          'content-type': 'application/offset+octet-stream',
        },
        body: JPEG,
      });
      expect(p.status, await p.clone().text()).toBeLessThan(500);
    }
    // tus ids themselves are never paths.
    const h = await rawRequest(
      port,
      `HEAD /api/v1/uploads/..%2f..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nAuthorization: Bearer ${tok}\r\nConnection: close\r\n\r\n`,
    );
    expect(h).toMatch(/^HTTP\/1\.1 4\d\d/);
    noCanaryOutsideStorage(t);
  });

  it('oversized headers give 431, oversized JSON bodies and uploads give 413, and the server keeps serving', async () => {
    const big = await rawRequest(
      port,
      `GET /api/v1/media HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
    );
    expect(big).toMatch(/^HTTP\/1\.1 431/);
    const json = await call(`${t.api}/projects`, w.users.padmin.token, {
      method: 'POST',
      json: { id: 'BIG', name: 'x'.repeat(128 * 1024) },
    });
    expect(json.status).toBe(413);
    expect(json.headers.get('content-type')).toContain('application/problem+json');
    const upload = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'SWA', taskId: TASK },
      { name: 'huge.jpg', data: Buffer.concat([JPEG, Buffer.alloc(3 * 1024 * 1024)]) },
    );
    expect(upload.status).toBe(413);
    const seq = await call(`${t.api}/uploads/sequences`, w.users.artist.token, {
      method: 'POST',
      json: { projectId: 'SWA', taskId: TASK, frames: [{ frame: 1, fileName: 'a.0001.exr' }] },
    });
    if (seq.status === 201) {
      const { uploadId } = (await seq.json()) as { uploadId: string };
      const put = await fetch(`${t.api}/uploads/sequences/${uploadId}/frames/1`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${w.users.artist.token}`,
          'content-type': 'application/octet-stream',
        },
        body: Buffer.alloc(3 * 1024 * 1024),
      });
      expect(put.status).toBe(413);
    }
    const tusBig = await fetch(`${t.api}/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${w.users.artist.token}`,
        'tus-resumable': '1.0.0',
        'upload-length': String(3 * 1024 * 1024),
        'upload-metadata': tusMetadata({ filename: 'a.jpg', projectId: 'SWA', taskId: TASK }),
      },
    });
    expect(tusBig.status).toBe(413);
    expect((await call(`${t.api}/media/${mine}`, w.users.artist.token)).status).toBe(200);
  });

  it('malformed JSON gives 400 problem+json', async () => {
    for (const body of [
      '{',
      '{"id": }',
      'null',
      '[1,2',
      '\u0000\u0001',
      '{"a":1}garbage',
      '"just a string"',
      '{"__proto__": {"isAdmin": true}, "id": "PROTO"}',
    ]) {
      const r = await fetch(`${t.api}/projects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${w.users.padmin.token}`, 'content-type': 'application/json' },
        body,
      });
      expect(r.status, body).toBeGreaterThanOrEqual(400);
      expect(r.status, body).toBeLessThan(500);
      expect(r.headers.get('content-type'), body).toContain('application/problem+json');
    }
    const me = (await (await call(`${t.api}/auth/me`, w.users.padmin.token)).json()) as {
      user: { isAdmin: boolean };
    };
    expect(me.user.isAdmin).toBe(false);
  });

  it('SQL injection strings in every filter and id change nothing and leak nothing', async () => {
    const tok = w.users.artist.token;
    const filters = [
      'query',
      'projectId',
      'taskId',
      'mediaType',
      'author',
      'status',
      'tags',
      'dateFrom',
      'dateTo',
      'reviewSelected',
      'archived',
      'limit',
      'cursor',
    ];
    for (const s of SQLI) {
      for (const f of filters) {
        const r = await call(`${t.api}/media?${f}=${encodeURIComponent(s)}`, tok);
        expect(r.status, `${f}=${s}`).toBeLessThan(500);
        if (r.status === 200) {
          const body = (await r.json()) as { items: Array<{ projectId: string }> };
          // Never another project's media.
          for (const m of body.items) expect(m.projectId).toBe('SWA');
        }
      }
      for (const url of [
        `${t.api}/media/${encodeURIComponent(s)}`,
        `${t.api}/media/${encodeURIComponent(s)}/history`,
        `${t.api}/projects/${encodeURIComponent(s)}`,
        `${t.api}/tasks/${encodeURIComponent(s)}/versions?projectId=SWA`,
        `${t.api}/tasks/${TASK}/media?projectId=${encodeURIComponent(s)}`,
        `${t.api}/projects/SWA/review?status=${encodeURIComponent(s)}`,
        `${t.api}/jobs?mediaId=${encodeURIComponent(s)}`,
        `${t.api}/users/${encodeURIComponent(s)}`,
      ]) {
        const r = await call(url, tok);
        expect(r.status, url).toBeLessThan(500);
        expect(r.status, url).not.toBe(
          200 === r.status && url.includes('/media/') && !url.includes('?') ? 200 : -1,
        );
      }
    }
    const after = (await (await call(`${t.api}/media?projectId=SWA&limit=500`, tok)).json()) as {
      items: unknown[];
    };
    expect(after.items.length).toBeGreaterThan(0);
  });

  it('huge, zero and negative page sizes are refused or clamped', async () => {
    for (const limit of ['1000000', '999999999999999999999', '0', '-1', '1e9', 'NaN']) {
      const r = await call(`${t.api}/media?limit=${limit}`, w.users.artist.token);
      expect(r.status, limit).toBeLessThan(500);
      if (r.status === 200)
        expect(((await r.json()) as { items: unknown[] }).items.length).toBeLessThanOrEqual(500);
      const q = await call(`${t.api}/projects/SWA/review?limit=${limit}`, w.users.supervisor.token);
      expect(q.status, limit).toBeLessThan(500);
    }
  });

  it('negative, reversed, huge and many ranges never give 5xx or more than one part', async () => {
    const url = `${t.api}/media/${mine}/files/original`;
    const size = JPEG.length;
    const many = Array.from({ length: 1500 }, (_, i) => `${i}-${i}`).join(',');
    for (const range of [
      'bytes=-5-3',
      'bytes=10-5',
      'bytes=-0',
      `bytes=${size}-`,
      'bytes=0-99999999999999999999999',
      'bytes=--1',
      'bytes=0-1,2-3,4-5',
      many,
      'bytes=abc',
      'items=0-1',
      'bytes=0-0,-1',
    ]) {
      const r = await call(url, w.users.artist.token, { headers: { range } });
      expect([200, 206, 416], range.slice(0, 40)).toContain(r.status);
      expect(r.headers.get('content-type') ?? '').not.toContain('multipart/byteranges');
      const body = Buffer.from(await r.arrayBuffer());
      if (r.status === 206) expect(body.length).toBeLessThanOrEqual(size);
      if (r.status === 200) expect(body.length).toBe(size);
    }
  });

  it('originals are served as attachments with a sandboxing CSP', async () => {
    const r = await call(`${t.api}/media/${mine}/files/original`, w.users.artist.token);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.headers.get('content-security-policy')).toContain('sandbox');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('IDOR: every id-taking endpoint answers 404 to members of other projects', async () => {
    const doc = (await (await fetch(`${t.api}/openapi.json`)).json()) as OpenApiDoc;
    const outsider = w.users.outsider.token;
    const checked: string[] = [];
    for (const [p, ops] of Object.entries(doc.paths)) {
      if (!p.includes('{mediaId}') && !p.includes('{projectId}')) continue;
      for (const method of Object.keys(ops)) {
        if (method === 'options' || method === 'head') continue;
        const url = `${t.url}${p
          .replace('{mediaId}', mine)
          .replace('{projectId}', 'SWA')
          .replace('{rendition}', 'original')
          .replace('{frame}', '1')
          .replace('{userId}', w.users.artist.id)}`;
        const withQuery = url.includes('/tasks/') ? `${url.replace('{taskId}', TASK)}?projectId=SWA` : url;
        const op = ops[method] as { requestBody?: { content: Record<string, { schema: Schema }> } };
        const content = op.requestBody?.content ?? {};
        const init = content['multipart/form-data']
          ? {
              method: method.toUpperCase(),
              body: (() => {
                const f = new FormData();
                f.append('file', new Blob([JPEG]), 'x.jpg');
                return f;
              })(),
            }
          : content['application/json']
            ? { method: method.toUpperCase(), json: minimalValid(content['application/json'].schema, doc) }
            : { method: method.toUpperCase() };
        const r = await call(withQuery, outsider, init);
        expect(r.status, `${method.toUpperCase()} ${p}: ${await r.clone().text()}`).toBe(404);
        checked.push(`${method} ${p}`);
      }
    }
    expect(checked.length).toBeGreaterThan(15);
    // and the other way round: SWA's artist on OTH media
    for (const url of [
      `${t.api}/media/${theirs}`,
      `${t.api}/media/${theirs}/files/original`,
      `${t.api}/media/${theirs}/history`,
      `${t.api}/media/${theirs}/annotations`,
    ]) {
      expect((await call(url, w.users.artist.token)).status, url).toBe(404);
    }
    expect((await call(`${t.api}/media?projectId=OTH`, w.users.artist.token)).status).toBeLessThan(500);
    const leak = await call(`${t.api}/media?limit=500`, w.users.artist.token);
    for (const m of ((await leak.json()) as { items: Array<{ id: string }> }).items)
      expect(m.id).not.toBe(theirs);
    // Tokens: another user's token id cannot be revoked.
    const other = await t.montu.users.createToken(w.users.artist.id, { name: 'mine' });
    const tokenId =
      (other as unknown as { info?: { id: string }; id?: string }).info?.id ??
      (other as unknown as { id: string }).id;
    if (tokenId)
      expect((await call(`${t.api}/tokens/${tokenId}`, outsider, { method: 'DELETE' })).status).toBe(404);
  });

  it('expired and revoked tokens give 401', async () => {
    const u = w.users.artist.id;
    const short = await t.montu.users.createToken(u, { name: 'short', expiresInDays: 3 / 86_400 }); // three seconds
    expect((await call(`${t.api}/auth/me`, short.token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3_200));
    const expired = await call(`${t.api}/auth/me`, short.token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('content-type')).toContain('application/problem+json');
    const rev = await t.montu.users.createToken(u, { name: 'revoke-me' });
    expect((await call(`${t.api}/auth/me`, rev.token)).status).toBe(200);
    const revId =
      (rev as unknown as { info?: { id: string }; id?: string }).info?.id ??
      (rev as unknown as { id: string }).id;
    // Revoked through the API (which also drops the server's short-lived token cache).
    expect((await call(`${t.api}/tokens/${revId}`, rev.token, { method: 'DELETE' })).status).toBeLessThan(
      300,
    );
    expect((await call(`${t.api}/auth/me`, rev.token)).status).toBe(401);
    // A token with one character changed.
    const tampered = w.users.artist.token.slice(0, -1) + (w.users.artist.token.endsWith('a') ? 'b' : 'a');
    expect((await call(`${t.api}/auth/me`, tampered)).status).toBe(401);
    for (const h of [
      'Bearer',
      'Bearer ',
      'Basic YWRtaW46YWRtaW4=',
      `Bearer ${w.users.artist.token} extra`,
      'Bearer ' + 'x'.repeat(8000),
    ]) {
      const r = await call(`${t.api}/auth/me`, null, { headers: { authorization: h } });
      expect(r.status, h.slice(0, 30)).toBe(401);
    }
  });

  it('CSRF: a cookie session cannot use unsafe methods without its X-CSRF-Token', async () => {
    const login = await call(`${t.api}/auth/login`, null, {
      method: 'POST',
      json: { username: 'artist', password: 'artist-password' },
    });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax|SameSite=Strict/i);
    const cookie = setCookie.split(';')[0]!;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    for (const [method, url, json] of [
      ['PATCH', `${t.api}/media/${mine}`, { description: 'csrf' }],
      ['POST', `${t.api}/media/${mine}/submit`, {}],
      ['POST', `${t.api}/media/${mine}/annotations`, { content: 'csrf' }],
      ['DELETE', `${t.api}/media/${mine}`, undefined],
      ['POST', `${t.api}/tokens`, { name: 'csrf' }],
    ] as const) {
      for (const headers of [
        { cookie },
        { cookie, 'x-csrf-token': 'wrong' },
        { cookie, 'x-csrf-token': '' },
        { cookie, 'x-csrf-token': csrfToken.slice(0, -1) },
      ]) {
        const r = await call(url, null, { method, headers, ...(json ? { json } : {}) });
        expect(r.status, `${method} ${url} ${JSON.stringify(Object.keys(headers))}`).toBe(403);
      }
    }
    // A form post (no JSON content type, as a cross-site form would send) also needs the header.
    const form = await fetch(`${t.api}/media/${mine}/submit`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'comment=x',
    });
    expect([403, 415]).toContain(form.status);
    const ok = await call(`${t.api}/media/${mine}`, null, {
      method: 'PATCH',
      headers: { cookie, 'x-csrf-token': csrfToken },
      json: { description: 'with csrf' },
    });
    expect(ok.status).toBe(200);
    const media = (await (await call(`${t.api}/media/${mine}`, w.users.artist.token)).json()) as {
      description: string;
      archivedAt: string | null;
    };
    expect(media.description).toBe('with csrf');
  });

  it('rate-limits failed logins', async () => {
    let limited = false;
    for (let i = 0; i < 30; i++) {
      const r = await call(`${t.api}/auth/login`, null, {
        method: 'POST',
        json: { username: 'supervisor', password: `wrong-${i}` },
      });
      expect(r.status).toBeLessThan(500);
      if (r.status === 429) {
        limited = true;
        expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
        break;
      }
      expect(r.status).toBe(401);
    }
    expect(limited).toBe(true);
    // Other users are not locked out by it.
    const other = await call(`${t.api}/auth/login`, null, {
      method: 'POST',
      json: { username: 'padmin', password: 'padmin-password' },
    });
    expect(other.status).toBe(200);
  });
});
