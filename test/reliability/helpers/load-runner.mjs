#!/usr/bin/env node
// Load generator for test/reliability/soak-load.test.ts, run as a separate process so the load
// does not share an event loop with the test or the server. Reads one JSON argument:
//   { api, token, projectId, ids, queries, connections, durationSeconds, uploaders, uploadBytes, maxUploads }
// Runs autocannon (searches, gets, thumbnail downloads at `connections` connections for
// `durationSeconds`) and, at the same time, `uploaders` sequential multipart uploaders of
// `uploadBytes`-byte WAV files (each file different), at most `maxUploads` in all.
// Prints one JSON line with the results on stdout.
import autocannon from 'autocannon';

const cfg = JSON.parse(process.argv[2]);
const base = new URL(cfg.api);
const auth = `Bearer ${cfg.token}`;

let seed = 12345;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 4294967296;
};
const pick = (a) => a[Math.floor(rnd() * a.length)];
const counts = { search: 0, get: 0, thumbnail: 0 };

/** Request mix: 30 % searches, 30 % gets, 40 % thumbnail downloads. */
function nextPath() {
  const r = rnd();
  if (r < 0.3) {
    counts.search++;
    return `${base.pathname}/media?projectId=${cfg.projectId}&query=${encodeURIComponent(pick(cfg.queries))}&limit=50`;
  }
  if (r < 0.6) {
    counts.get++;
    return `${base.pathname}/media/${pick(cfg.ids)}`;
  }
  counts.thumbnail++;
  return `${base.pathname}/media/${pick(cfg.ids)}/files/thumbnail`;
}

/** A PCM WAV of `bytes` bytes (48 kHz stereo 16-bit): a quiet tone, made once. */
function baseWav(bytes) {
  const data = bytes - 44;
  const b = Buffer.alloc(bytes);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(bytes - 8, 4);
  b.write('WAVEfmt ', 8, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(2, 22);
  b.writeUInt32LE(48000, 24);
  b.writeUInt32LE(48000 * 4, 28);
  b.writeUInt16LE(4, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(data, 40);
  const period = 48;
  for (let i = 44; i + 1 < bytes; i += 2) b.writeInt16LE(((i >> 2) % period) * 50 - period * 25, i);
  return b;
}
const base50 = baseWav(cfg.uploadBytes);
/** Upload `n`'s file: the base WAV with its first samples set from n, so every file (and sha256) differs. */
function wav(n) {
  const b = Buffer.from(base50);
  for (let i = 0; i < 64; i++) b.writeUInt32LE((n * 2654435761 + i) >>> 0, 44 + i * 4);
  return b;
}

const uploads = { ok: 0, failed: 0, bytes: 0, latenciesMs: [], errors: [] };
let stop = false;
let started = 0;
async function uploader(k) {
  while (!stop && started < cfg.maxUploads) {
    const n = started++;
    const body = wav(n);
    const form = new FormData();
    form.append('projectId', cfg.projectId);
    form.append('taskId', `load_upload_${k}`);
    form.append('file', new Blob([body]), `load_${n}.wav`);
    const t0 = performance.now();
    try {
      const r = await fetch(`${cfg.api}/media`, {
        method: 'POST',
        headers: { authorization: auth },
        body: form,
        signal: AbortSignal.timeout(120_000),
      });
      const text = await r.text();
      if (r.status === 201) {
        uploads.ok++;
        uploads.bytes += body.length;
        uploads.latenciesMs.push(performance.now() - t0);
      } else {
        uploads.failed++;
        uploads.errors.push(`${r.status}: ${text.slice(0, 300)}`);
      }
    } catch (e) {
      uploads.failed++;
      uploads.errors.push(String(e));
    }
  }
}

const t0 = Date.now();
const upDone = Promise.all(Array.from({ length: cfg.uploaders }, (_, k) => uploader(k)));
const result = await autocannon({
  url: base.origin,
  connections: cfg.connections,
  duration: cfg.durationSeconds,
  timeout: 30,
  headers: { authorization: auth },
  requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: nextPath() }) }],
});
stop = true;
await upDone;
const q = (a, p) => {
  if (!a.length) return null;
  const s = [...a].sort((x, y) => x - y);
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]);
};
process.stdout.write(
  JSON.stringify({
    wallSeconds: (Date.now() - t0) / 1000,
    autocannon: {
      connections: result.connections,
      durationSeconds: result.duration,
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      throughputBytesPerSecond: result.throughput.average,
      bytesRead: result.throughput.total,
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
        mean: result.latency.average,
      },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      statusCodes: result.statusCodeStats,
      mix: counts,
    },
    uploads: {
      concurrent: cfg.uploaders,
      fileBytes: cfg.uploadBytes,
      ok: uploads.ok,
      failed: uploads.failed,
      bytes: uploads.bytes,
      latencyMs: {
        p50: q(uploads.latenciesMs, 0.5),
        p99: q(uploads.latenciesMs, 0.99),
        max: q(uploads.latenciesMs, 1),
      },
      errors: uploads.errors.slice(0, 10),
    },
  }) + '\n',
);
