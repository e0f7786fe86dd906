import fs from 'node:fs';
import path from 'node:path';
import { openMontu, type Montu, type ReviewSessionOptions } from '@montu/core';
import { DEFAULT_CONFIG, startServer, type RunningServer, type ServerConfig } from '../src/index.js';
import { freshDatabase, tempDir } from '../../core/test/helpers/env.js';

export { DATABASES, CORPUS, tempDir, makePng } from '../../core/test/helpers/env.js';

export interface TestServer {
  url: string;
  api: string;
  dir: string;
  montu: Montu;
  server: RunningServer;
  adminToken: string;
  adminPassword: string;
  config: ServerConfig;
  close(): Promise<void>;
}

export async function startTestServer(
  kind: 'sqlite' | 'postgres',
  overrides: Partial<ServerConfig> = {},
  options: {
    /** Run processing jobs (slow); by default they are queued but not worked. */ processing?: boolean;
    /** Live review sessions' presence timeout and clock. */
    reviewSessions?: ReviewSessionOptions;
  } = {},
): Promise<TestServer> {
  const dir = tempDir('montu-server-');
  const db = await freshDatabase(kind, dir);
  const config: ServerConfig = {
    ...structuredClone(DEFAULT_CONFIG),
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    databaseUrl: db.url,
    logLevel: 'silent',
    // Every answer of every route under test is checked for fields its schema drops (decision 150).
    checkResponses: true,
    ...overrides,
  };
  const montu = await openMontu({
    dataDir: dir,
    databaseUrl: db.url,
    storage: { type: 'local', root: path.join(dir, 'storage') },
    jobs: options.processing ? {} : { work: false },
    ...(options.reviewSessions ? { reviewSessions: options.reviewSessions } : {}),
  });
  const server = await startServer(config, { montu, print: () => undefined });
  return {
    url: server.url,
    api: `${server.url}/api/v1`,
    dir,
    montu,
    server,
    adminToken: server.firstRun?.token ?? '',
    adminPassword: server.firstRun?.password ?? '',
    config,
    async close() {
      await server.close();
      await montu.close();
      await db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** fetch with a bearer token and JSON body. */
export async function call(
  url: string,
  token: string | null,
  init: { method?: string; json?: unknown; headers?: Record<string, string>; body?: BodyInit } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (token) headers['authorization'] = `Bearer ${token}`;
  let body = init.body;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  return fetch(url, { method: init.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
}

export async function uploadForm(
  api: string,
  token: string,
  fields: Record<string, string>,
  file: { name: string; data: Uint8Array | Blob },
  path = '/media',
): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', file.data instanceof Blob ? file.data : new Blob([file.data]), file.name);
  return fetch(`${api}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
}

export interface World {
  users: Record<'artist' | 'supervisor' | 'padmin' | 'outsider', { id: string; token: string }>;
}

/** Projects SWA (artist, supervisor, padmin) and OTH (outsider, an artist there). */
export async function seedWorld(t: TestServer): Promise<World> {
  const m = t.montu;
  await m.projects.createProject({ id: 'SWA', name: 'Star Wars Animation' });
  await m.projects.createProject({ id: 'OTH', name: 'Other show' });
  const mk = async (username: string, project: string, role: 'artist' | 'supervisor' | 'admin') => {
    const u = await m.users.createUser({ username, password: `${username}-password` });
    await m.users.setMembership(project, u.id, role);
    const { token } = await m.users.createToken(u.id, { name: 'test' });
    return { id: u.id, token };
  };
  return {
    users: {
      artist: await mk('artist', 'SWA', 'artist'),
      supervisor: await mk('supervisor', 'SWA', 'supervisor'),
      padmin: await mk('padmin', 'SWA', 'admin'),
      outsider: await mk('outsider', 'OTH', 'artist'),
    },
  };
}

/** A tus Upload-Metadata header value. */
export function tusMetadata(meta: Record<string, string>): string {
  return Object.entries(meta)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}
