/**
 * Property-based fuzzing of every operation in the server's OpenAPI document: requests are
 * generated from each operation's parameter and body schemas (valid values, and mutations of
 * them: wrong types, hostile strings, random JSON), sent with a random caller (admin, members of
 * the project, a member of another project, nobody). Every answer must be below 500 and, where
 * the operation declares a JSON schema for that status, must validate against it (ajv).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CORPUS,
  seedWorld,
  startTestServer,
  uploadForm,
  type TestServer,
  type World,
} from '../../packages/server/test/helpers.js';
import { operations, type OpenApiDoc, type Operation, type Schema } from './helpers/openapi.js';

const JPEG = fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg'));
const TASK = 'ep01_sq010_sh020_lighting';
/** Runs per operation; ~70 operations × this stays around a minute on two cores. */
const RUNS = Number(process.env['MONTU_FUZZ_RUNS'] ?? 60);

const HOSTILE = [
  '../../../../etc/passwd',
  '%2e%2e%2f%2e%2e%2f',
  "' OR '1'='1",
  '1; DROP TABLE media; --',
  '\u0000',
  'C:\\Windows\\win.ini',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '🎬'.repeat(50),
  'a'.repeat(5000),
  '-1',
  '1e309',
  'NaN',
  'null',
  '[]',
  '{}',
];

function schemaArb(s: Schema | undefined, doc: OpenApiDoc, depth = 0): fc.Arbitrary<unknown> {
  if (!s || depth > 4) return fc.constant({});
  if (s.$ref)
    return schemaArb(doc.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')], doc, depth + 1);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length) return fc.oneof(...alts.map((a) => schemaArb(a, doc, depth + 1)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      if (s.pattern) {
        try {
          return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length <= (s.maxLength ?? 1000));
        } catch {
          /* fall through */
        }
      }
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40) });
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(schemaArb(s.items, doc, depth + 1), { minLength: s.minItems ?? 0, maxLength: 4 });
    default: {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const entries = Object.keys(props);
      if (entries.length === 0)
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
      return fc.record(Object.fromEntries(entries.map((k) => [k, schemaArb(props[k], doc, depth + 1)])), {
        requiredKeys: entries.filter((k) => required.has(k)),
      });
    }
  }
}

/** A valid value most of the time, otherwise a mutation. */
function fuzzArb(s: Schema | undefined, doc: OpenApiDoc): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: schemaArb(s, doc) },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
}

describe('OpenAPI-driven fuzzing (sqlite)', () => {
  let t: TestServer;
  let w: World;
  let doc: OpenApiDoc;
  let mediaId: string;
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);

  beforeAll(async () => {
    t = await startTestServer('sqlite', {
      limits: { maxUploadBytes: 4 * 1024 * 1024, maxJsonBodyBytes: 256 * 1024, maxHeaderBytes: 16 * 1024 },
    });
    w = await seedWorld(t);
    const r = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'SWA', taskId: TASK },
      { name: 'shot.jpg', data: JPEG },
    );
    mediaId = ((await r.json()) as { id: string }).id;
    doc = (await (await fetch(`${t.api}/openapi.json`)).json()) as OpenApiDoc;
  });
  afterAll(async () => t?.close());

  function validatorFor(op: Operation, status: number) {
    const res = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`];
    const schema =
      res?.content?.['application/json']?.schema ?? res?.content?.['application/problem+json']?.schema;
    if (!schema) return null;
    const key = `${op.method} ${op.path} ${status}`;
    const existing = ajv.getSchema(key);
    if (existing) return existing;
    ajv.addSchema({ ...schema, components: doc.components }, key);
    return ajv.getSchema(key)!;
  }

  it('answers every generated request below 500 and within its declared response schema', async () => {
    const ops = operations(doc).filter(
      (op) =>
        op.method !== 'OPTIONS' &&
        op.path !== '/api/v1/events' && // server-sent events never end
        !(op.method === 'DELETE' && op.path === '/api/v1/users/{userId}'), // would delete the fuzzing callers
    );
    expect(ops.length).toBeGreaterThan(40);
    const failures: string[] = [];
    const undeclared = new Set<string>();
    const realIds: Record<string, string[]> = {
      mediaId: [mediaId],
      projectId: ['SWA', 'OTH'],
      taskId: [TASK],
      userId: [w.users.artist.id, w.users.outsider.id],
      rendition: ['original', 'thumbnail', 'proxy', 'web'],
      frame: ['1'],
    };
    const tokens = [
      t.adminToken,
      w.users.artist.token,
      w.users.supervisor.token,
      w.users.padmin.token,
      w.users.outsider.token,
      null,
    ];
    const started = Date.now();
    let requests = 0;
    let validated = 0;

    for (const op of ops) {
      const pathParams = op.parameters.filter((p) => p.in === 'path');
      const queryParams = op.parameters.filter((p) => p.in === 'query');
      const arb = fc.record({
        path: fc.record(
          Object.fromEntries(
            pathParams.map((p) => [
              p.name,
              fc.oneof(
                { weight: 3, arbitrary: fc.constantFrom(...(realIds[p.name] ?? ['x'])) },
                { weight: 1, arbitrary: fc.constantFrom(...HOSTILE) },
                { weight: 1, arbitrary: schemaArb(p.schema, doc).map(String) },
              ),
            ]),
          ),
        ),
        query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, fuzzArb(p.schema, doc)])), {
          requiredKeys: [],
        }),
        body:
          op.body?.type === 'application/json'
            ? fc.option(fuzzArb(op.body.schema, doc), { nil: undefined, freq: 8 })
            : fc.constant(undefined),
        rawBody: fc.option(fc.constantFrom('{', '[', 'null', '"x"', '{"a":'), { nil: undefined, freq: 10 }),
        token: fc.constantFrom(...tokens),
      });
      await fc
        .assert(
          fc.asyncProperty(arb, async (req) => {
            let url = op.path;
            for (const [k, v] of Object.entries(req.path))
              url = url.replace(`{${k}}`, encodeURIComponent(String(v)));
            const qs = new URLSearchParams();
            for (const [k, v] of Object.entries(req.query)) {
              if (v === undefined) continue;
              if (Array.isArray(v))
                for (const x of v) qs.append(k, typeof x === 'string' ? x : JSON.stringify(x));
              else qs.append(k, typeof v === 'string' ? v : JSON.stringify(v));
            }
            const headers: Record<string, string> = {};
            if (req.token) headers['authorization'] = `Bearer ${req.token}`;
            let body: BodyInit | undefined;
            if (op.body?.type === 'application/json' && op.method !== 'GET') {
              headers['content-type'] = 'application/json';
              body = req.rawBody ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
            } else if (op.body?.type === 'multipart/form-data') {
              const f = new FormData();
              f.append('projectId', 'SWA');
              f.append('taskId', typeof req.query['taskId'] === 'string' ? req.query['taskId'] : TASK);
              f.append(
                'file',
                new Blob([JPEG.subarray(0, 200 + (requests % 5000))]),
                typeof req.query['query'] === 'string' ? req.query['query'] || 'f.jpg' : 'f.jpg',
              );
              body = f;
            }
            if (op.path.startsWith('/api/v1/uploads') && !op.path.includes('sequences'))
              headers['tus-resumable'] = '1.0.0';
            const full = `${t.url}${url}${qs.size ? `?${qs}` : ''}`;
            requests++;
            const res = await fetch(full, {
              method: op.method,
              headers,
              ...(body !== undefined ? { body } : {}),
              redirect: 'manual',
            });
            const text = op.method === 'HEAD' ? '' : await res.text();
            const where = `${op.method} ${full.slice(0, 300)} body=${String(body instanceof FormData ? '[form]' : body).slice(0, 200)} → ${res.status} ${text.slice(0, 300)}`;
            if (res.status >= 500) {
              failures.push(where);
              return false;
            }
            const type = res.headers.get('content-type') ?? '';
            if (!type.includes('json') || !text) return true;
            const validate = validatorFor(op, res.status);
            if (!validate) {
              undeclared.add(`${op.method} ${op.path} ${res.status}`);
              return true;
            }
            validated++;
            if (!validate(JSON.parse(text))) {
              failures.push(`${where}\n  schema: ${ajv.errorsText(validate.errors)}`);
              return false;
            }
            return true;
          }),
          { numRuns: RUNS, endOnFailure: true },
        )
        .catch((e: unknown) => {
          // Failures are collected in `failures`; anything else (a thrown fetch: connection reset) too.
          const msg = e instanceof Error ? e.message : String(e);
          if (!failures.some((f) => msg.includes(f.slice(0, 80))))
            failures.push(`${op.method} ${op.path}: ${msg.slice(0, 1500)}`);
        });
    }
    const seconds = (Date.now() - started) / 1000;
    console.info(
      `openapi fuzz: ${ops.length} operations, ${requests} requests in ${seconds.toFixed(1)} s, ${validated} bodies schema-checked; undeclared statuses: ${[...undeclared].sort().join('; ') || 'none'}`,
    );
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(validated).toBeGreaterThan(requests / 2);
    // The server still answers.
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});
