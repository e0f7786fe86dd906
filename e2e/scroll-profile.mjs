#!/usr/bin/env node
/**
 * Profiles the browser page's 5,000-item scroll outside the test suite (the same stubbed data and
 * the same scroll as e2e/web.test.ts) and prints where the main thread's time goes: long tasks,
 * Chromium trace events on the renderer main thread by name, and the CPU profile's top functions.
 *
 *   npx tsc -b packages/cli && npm run build -w @montu/web && node e2e/scroll-profile.mjs [grid|list] [--no-trace]
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'packages/cli/dist/bin.js');
const view = process.argv.includes('list') ? 'list' : 'grid';
const trace = !process.argv.includes('--no-trace');
// --step=N px per animation frame (400: the suite's fling through all 5,000; 40: a wheel-speed scroll
// at which thumbnails load), --frames=N to stop early.
const arg = (name, def) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def);
const step = arg('step', 400);
const maxFrames = arg('frames', 1e9);
const work = mkdtempSync(path.join(tmpdir(), 'montu-prof-'));
const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const server = spawn(
  process.execPath,
  [CLI, 'serve', '--data-dir', path.join(work, 'data'), '--port', String(port), '--host', '127.0.0.1'],
  {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MONTU_LOG_LEVEL: 'warn' },
  },
);
let out = '';
server.stdout.on('data', (b) => (out += b));
server.stderr.on('data', (b) => (out += b));
let token = '';
for (let i = 0; i < 200 && !token; i++) {
  token = /API token:\s*(\S+)/.exec(out)?.[1] ?? '';
  if (
    token &&
    !(await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    ))
  )
    token = '';
  await new Promise((r) => setTimeout(r, 150));
}
const api = async (method, p, body) => {
  const res = await fetch(`${base}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${p} ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
};
await api('POST', '/projects', { id: 'SWA', name: 'SWA', settings: { defaultFps: '24/1' } });
const u = await api('POST', '/users', {
  username: 'ana',
  password: 'correct-horse-battery',
  displayName: 'Ana',
});
await api('PUT', `/projects/SWA/members/${u.id}`, { role: 'artist' });
execFileSync('ffmpeg', [
  '-hide_banner',
  '-loglevel',
  'error',
  '-y',
  '-f',
  'lavfi',
  '-i',
  'testsrc=size=640x360:rate=1',
  '-frames:v',
  '1',
  path.join(work, 'still.png'),
]);
const png = readFileSync(path.join(work, 'still.png'));

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.on('console', (m) => console.log('console:', m.text()));
  await page.goto(`${base}/login`);
  await page.getByLabel('User name').fill('ana');
  await page.getByLabel('Password').fill('correct-horse-battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('search', { name: 'Filter media' }).waitFor();
  const N = 5000;
  const now = Date.now();
  const statuses = ['wip', 'pending_review', 'approved', 'changes_requested'];
  const item = (i) => ({
    id: `m${i}`,
    projectId: 'SWA',
    taskId: `ep${String(1 + Math.floor(i / 1000)).padStart(2, '0')}_sq${String(10 * (1 + (Math.floor(i / 100) % 10))).padStart(3, '0')}_sh${String(10 * (1 + (Math.floor(i / 4) % 25))).padStart(3, '0')}_task${i % 4}`,
    version: `v${String(1 + (i % 3)).padStart(3, '0')}`,
    versionNumber: 1 + (i % 3),
    mediaType: 'image',
    fileName: `f${i}.png`,
    mimeType: 'image/png',
    size: 1000,
    author: 'ana',
    description: '',
    tags: [],
    status: statuses[i % 4],
    reviewSelected: false,
    approval: null,
    archivedAt: null,
    processingState: 'ready',
    processingError: null,
    metadata: {},
    createdAt: new Date(now - i * 60_000).toISOString(),
    updatedAt: new Date(now - i * 60_000).toISOString(),
  });
  await page.route(/\/api\/v1\/media\/m\d+\/files\/thumbnail$/, (r) =>
    r.fulfill({ body: png, contentType: 'image/png' }),
  );
  await page.route(/\/api\/v1\/media\?/, (r) => {
    const url = new URL(r.request().url());
    const from = Number(url.searchParams.get('cursor') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 200);
    const items = Array.from({ length: Math.min(limit, N - from) }, (_, k) => item(from + k));
    return r.fulfill({ json: { items, nextCursor: from + limit < N ? String(from + limit) : null } });
  });
  await page.goto(`${base}/p/SWA`);
  await page.getByLabel('Latest versions only').uncheck();
  if (view === 'list') await page.getByRole('button', { name: 'List' }).click();
  const scroller = page.getByTestId('browser-scroll');
  for (let i = 0; i < 80; i++) {
    if ((await page.locator('.count').textContent())?.startsWith(`${N} `)) break;
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForTimeout(150);
  }
  console.log('count:', await page.locator('.count').textContent());
  await scroller.evaluate((el) => (el.scrollTop = 0));
  await page.waitForTimeout(500);

  const cdp = await page.context().newCDPSession(page);
  const events = [];
  if (trace) {
    cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
    await cdp.send('Tracing.start', {
      categories: 'devtools.timeline,disabled-by-default-devtools.timeline,blink,v8',
      transferMode: 'ReportEvents',
    });
  }
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  const result = await page.evaluate(
    async ({ step, maxFrames }) => {
      const el = document.querySelector('[data-testid=browser-scroll]');
      const long = [];
      const obs = new PerformanceObserver((list) =>
        list.getEntries().forEach((e) => long.push(Math.round(e.duration))),
      );
      obs.observe({ type: 'longtask', buffered: false });
      const frameTimes = [];
      let last = performance.now();
      const start = last;
      while (el.scrollTop + el.clientHeight < el.scrollHeight - 2 && frameTimes.length < maxFrames) {
        el.scrollTop += step;
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        const t = performance.now();
        frameTimes.push(t - last);
        last = t;
      }
      await new Promise((r) => setTimeout(r, 200));
      obs.disconnect();
      frameTimes.sort((a, b) => a - b);
      return {
        frames: frameTimes.length,
        durationMs: Math.round(last - start),
        longTasks: long.length,
        over50: long.filter((d) => d > 50).length,
        max: Math.max(0, ...long),
        long: long.slice(0, 30),
        p50: Math.round(frameTimes[frameTimes.length >> 1]),
        p95: Math.round(frameTimes[Math.floor(frameTimes.length * 0.95)]),
        domNodes: document.querySelectorAll('*').length,
        imgs: performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/thumbnail')).length,
      };
    },
    { step, maxFrames },
  );
  const { profile } = await cdp.send('Profiler.stop');
  console.log(JSON.stringify(result));
  if (trace) {
    const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await done;
    // Renderer main thread: the thread named CrRendererMain.
    const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
    let cpu = 0;
    for (const e of events)
      if (main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.name === 'RunTask' && e.tdur)
        cpu += e.tdur / 1000;
    const cpuLong = mainTasks(events, main).filter(
      (e) => (e.tdur ?? 0) > 50_000 && !e.args?.src_func?.includes('Profil'),
    ).length;
    console.log(
      `\nmain thread CPU time in tasks (thread time, not wall): ${cpu.toFixed(0)} ms; tasks over 50 ms of CPU: ${cpuLong}`,
    );
    const byName = new Map();
    for (const e of events) {
      if (!main || e.pid !== main.pid || e.tid !== main.tid || e.ph !== 'X' || !e.dur) continue;
      const a = byName.get(e.name) ?? [0, 0, 0];
      a[0] += e.dur / 1000;
      a[1]++;
      a[2] = Math.max(a[2], e.dur / 1000);
      byName.set(e.name, a);
    }
    // The longest top-level tasks and what they spent their time on (direct and nested events by name).
    const mainEv = events
      .filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur)
      .sort((a, b) => a.ts - b.ts);
    const tops = mainEv
      .filter((e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask')
      .sort((a, b) => b.dur - a.dur)
      .slice(0, 6);
    for (const t of tops) {
      const inner = new Map();
      for (const e of mainEv)
        if (e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur)
          inner.set(e.name, (inner.get(e.name) ?? 0) + e.dur / 1000);
      console.log(
        `\nlong task ${(t.dur / 1000).toFixed(0)} ms (${((t.tdur ?? 0) / 1000).toFixed(0)} ms CPU):`,
        [...inner]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 14)
          .map(([n, v]) => `${n}=${v.toFixed(0)}`)
          .join(', '),
      );
    }
    console.log('\nmain-thread trace events (total ms, count, max ms):');
    for (const [n, [t, c, m]] of [...byName].sort((a, b) => b[1][0] - a[1][0]).slice(0, 25))
      console.log(
        `  ${n.padEnd(40)} ${t.toFixed(0).padStart(7)} ${String(c).padStart(6)} ${m.toFixed(1).padStart(8)}`,
      );
  }
  // CPU profile: self time per function.
  const self = new Map();
  const dt = profile.timeDeltas;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const f = n.callFrame;
    const k = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0) / 1000);
  });
  // Inclusive time per function (each function counted once per sample stack).
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map();
  profile.samples.forEach((id, i) => {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur).callFrame;
      const k = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + (dt[i] ?? 0) / 1000);
    }
  });
  console.log('\nCPU inclusive time (ms):');
  for (const [k, v] of [...incl]
    .filter(([k]) => !k.startsWith('(root)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 40))
    console.log(`  ${v.toFixed(0).padStart(7)}  ${k}`);
  console.log('\nCPU self time (ms):');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30))
    console.log(`  ${v.toFixed(0).padStart(7)}  ${k}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}

function mainTasks(events, main) {
  return events.filter(
    (e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.name === 'RunTask',
  );
}
