#!/usr/bin/env node
// Media processing benchmarks, side by side with the reference tools on the same files in one run.
// Build first: npx tsc -b packages/core.  Run: node bench/media-bench.mjs
//   [--only thumbnails,metadata,frame]  run only these sections (default: all)
//   [--runs N]                          timed runs per section (default: 3 thumbnails, 5 metadata, 9 frame)
//   [--no-write]                        print the numbers as JSON, leave bench/results alone
// Writes bench/results/media.json and bench/results/media.md (only when every section ran).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const tmp = path.join(here, 'tmp', 'media');
const results = path.join(here, 'results');
const corpus = process.env.MONTU_CORPUS ?? path.resolve(root, '../shared/corpus');
const media = await import(path.join(root, 'packages/core/dist/processing/tools/index.js'));
const { MediaProber, MediaTools, createThumbnail, videoFrame, resolveLimits } = media;
const { readEnvironment } = await import(path.join(root, 'packages/core/dist/config/environment.js'));
// The tools as this process's environment names them (a library makes its own in openMontu).
const tools = new MediaTools(readEnvironment());

const JPEGS = Number(process.env.BENCH_JPEGS ?? 40);
const flag = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ONLY = new Set((flag('only') ?? 'thumbnails,metadata,frame').split(','));
const RUNS = flag('runs') === undefined ? undefined : Math.max(1, Number(flag('runs')));
const WRITE = !process.argv.includes('--no-write') && ONLY.size === 3;
const CONCURRENCY = Math.max(2, os.availableParallelism?.() ?? os.cpus().length);

const now = () => performance.now();
async function timed(fn) {
  const t0 = now();
  await fn();
  return (now() - t0) / 1000;
}
async function pool(items, n, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) {
        const k = i++;
        await fn(items[k], k);
      }
    }),
  );
}
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('error', reject);
    c.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err.slice(-400)}`)),
    );
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await fs.mkdir(tmp, { recursive: true });
await fs.mkdir(results, { recursive: true });

// ---- inputs -------------------------------------------------------------------------------
const jpegDir = path.join(tmp, 'jpeg4k');
await fs.mkdir(jpegDir, { recursive: true });
const jpegs = [];
for (let i = 0; i < JPEGS; i++) {
  const f = path.join(jpegDir, `plate_${String(i).padStart(3, '0')}.jpg`);
  jpegs.push(f);
  try {
    await fs.access(f);
  } catch {
    // 4K frames with detail and noise so JPEG decoding does real work.
    await exec('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=3840x2160:rate=25,noise=alls=${10 + (i % 7)}:allf=t`,
      '-vf',
      `hue=h=${i * 9}`,
      '-frames:v',
      '1',
      '-q:v',
      '3',
      f,
    ]);
  }
}
const video = path.join(tmp, 'clip1080.mp4');
try {
  await fs.access(video);
} catch {
  await exec('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1920x1080:rate=24000/1001:duration=20',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-g',
    '48',
    '-pix_fmt',
    'yuv420p',
    video,
  ]);
}
let corpusFiles = [];
let corpusStills = [];
try {
  const m = JSON.parse(await fs.readFile(path.join(corpus, 'manifest.json'), 'utf8'));
  corpusFiles = m.files.filter((f) => f.kind !== 'broken').map((f) => path.join(corpus, f.path));
  corpusStills = m.files.filter((f) => f.kind === 'image').map((f) => path.join(corpus, f.path));
} catch {
  console.error('corpus not found; metadata benchmark uses generated files only');
}
// Small generated stills (PNG, TIFF, EXR) to bring the still set to 200 files.
const stillDir = path.join(tmp, 'stills');
await fs.mkdir(stillDir, { recursive: true });
const generated = [];
for (let i = 0; generated.length + corpusStills.length + jpegs.length < 200; i++) {
  const ext = ['png', 'tif', 'exr'][i % 3];
  const f = path.join(stillDir, `still_${i}.${ext}`);
  generated.push(f);
  try {
    await fs.access(f);
  } catch {
    const pix =
      ext === 'exr' ? ['-pix_fmt', 'gbrpf32le', '-c:v', 'exr'] : ext === 'tif' ? ['-pix_fmt', 'rgb48le'] : [];
    await exec('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${640 + i}x360`,
      '-frames:v',
      '1',
      ...pix,
      f,
    ]);
  }
}
const stillFiles = [...corpusStills, ...jpegs, ...generated].slice(0, 200);
const mixedFiles = [...corpusFiles, ...jpegs].slice(0, 200);

const out = {
  date: new Date().toISOString(),
  // The machine is shared: its 1-minute load average at the start and the end is part of the result.
  loadavg_start: os.loadavg()[0],
  cpus: os.cpus().length,
  node: process.version,
  concurrency: CONCURRENCY,
  // sharp decodes run in decoder child processes (media/decoder-pool.ts): the pooled path is what is timed.
  decoderProcesses: media.defaultDecoderProcesses?.() ?? 'in-process',
  benchmarks: {},
};
{
  const { createRequire } = await import('node:module');
  const req = createRequire(path.join(root, 'packages/core/package.json'));
  const vendoredPl = path.join(
    path.dirname(req.resolve('exiftool-vendored.pl/package.json')),
    'bin',
    'exiftool',
  );
  const ver = (cmd, args) =>
    exec(cmd, args).then(
      (r) => r.stdout.trim(),
      () => 'unknown',
    );
  out.exiftoolVersions = {
    vendored: await ver('perl', [vendoredPl, '-ver']),
    system: await ver('exiftool', ['-ver']),
  };
}

// ---- (a) thumbnails of 4K JPEGs vs vipsthumbnail -------------------------------------------
if (ONLY.has('thumbnails')) {
  const prober = new MediaProber({ tools });
  const metas = await Promise.all(jpegs.map((f) => prober.probe(f)));
  await prober.close();
  const thumbDir = path.join(tmp, 'thumbs');
  await fs.rm(thumbDir, { recursive: true, force: true });
  await fs.mkdir(thumbDir, { recursive: true });
  const vipsDir = path.join(tmp, 'vips');
  await fs.rm(vipsDir, { recursive: true, force: true });
  await fs.mkdir(vipsDir, { recursive: true });
  const montu = async () => {
    await pool(jpegs, CONCURRENCY, async (f, k) => {
      const t = await createThumbnail(f, metas[k], { tools, size: 256 });
      await fs.writeFile(path.join(thumbDir, path.basename(f)), t.data);
    });
  };
  const vips = () => run('vipsthumbnail', ['-s', '256', '-o', path.join(vipsDir, '%s.jpg'), ...jpegs]);
  await montu(); // warm-up (page cache, sharp init)
  await vips();
  const m = [],
    v = [];
  for (let r = 0; r < (RUNS ?? 3); r++) {
    m.push(await timed(montu));
    v.push(await timed(vips));
  }
  out.benchmarks.thumbnails = {
    files: jpegs.length,
    size: '3840x2160 JPEG → 256 px',
    montu_s: median(m),
    vipsthumbnail_s: median(v),
    ratio: median(m) / median(v),
    goal: '≤ 0.5',
  };
}

// ---- (b) metadata for 200 files vs exiftool ------------------------------------------------
// CPU seconds of this process and of its reaped children (exiftool, ffprobe), from /proc.
async function cpuSeconds() {
  const self = process.cpuUsage();
  let children = 0;
  try {
    const f = (await fs.readFile('/proc/self/stat', 'utf8')).split(') ')[1].split(' ');
    children = (Number(f[13]) + Number(f[14])) / 100; // cutime + cstime, in clock ticks (USER_HZ = 100)
  } catch {
    children = NaN;
  }
  return (self.user + self.system) / 1e6 + children;
}
async function metadataBench(metaFiles, label) {
  let lastResult = [];
  // Cold: a new MediaProber per run, so starting (and ending) its exiftool processes is timed.
  // Defaults: one exiftool process per core, ffprobe at most one per core.
  const montu = async () => {
    const prober = new MediaProber({ tools });
    const res = await prober.probeFiles(metaFiles);
    await prober.close();
    const failed = res.filter((r) => r instanceof Error).length;
    if (failed) console.error(`${failed} files failed to probe`);
    lastResult = res;
  };
  // Warm: exiftool processes already running (a long-lived server's case); stated separately.
  const warmProber = new MediaProber({ tools });
  const montuWarm = () => warmProber.probeFiles(metaFiles);
  const batched = () =>
    exec('exiftool', ['-json', ...metaFiles], { maxBuffer: 256 * 1024 * 1024 }).catch((e) => e);
  const perFile = () =>
    pool(metaFiles, CONCURRENCY, (f) =>
      exec('exiftool', ['-json', f], { maxBuffer: 64 * 1024 * 1024 }).catch((e) => e),
    );
  await montu(); // warm-up: page cache; loads ffmpeg's pixel-format table once per process (one ffprobe run)
  await montuWarm();
  await batched();
  // The files Montu needed ffprobe for, and what ffprobe alone costs on them (the floor for these files).
  const ffprobeFiles = metaFiles.filter(
    (f, i) => !(lastResult[i] instanceof Error) && lastResult[i].sources.includes('ffprobe'),
  );
  const containerFiles = metaFiles.filter(
    (f, i) => !(lastResult[i] instanceof Error) && lastResult[i].sources.includes('container'),
  );
  const ffprobeOnly = () =>
    pool(ffprobeFiles, CONCURRENCY, (f) =>
      exec('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', f], {
        maxBuffer: 64 * 1024 * 1024,
      }).catch((e) => e),
    );
  const m = [],
    mc = [],
    w = [],
    b = [],
    fo = [];
  for (let r = 0; r < (RUNS ?? 5); r++) {
    const c0 = await cpuSeconds();
    m.push(await timed(montu));
    mc.push((await cpuSeconds()) - c0);
    w.push(await timed(montuWarm));
    b.push(await timed(batched));
    if (ffprobeFiles.length) fo.push(await timed(ffprobeOnly));
  }
  await warmProber.close();
  const p = await timed(perFile);
  const ffprobeOnlyS = fo.length ? median(fo) : 0;
  out.benchmarks[label] = {
    files: metaFiles.length,
    montu_s: median(m),
    montu_cpu_s: median(mc),
    montu_warm_s: median(w),
    exiftool_batched_s: median(b),
    exiftool_per_file_s: p,
    ratio_vs_batched: median(m) / median(b),
    warm_ratio_vs_batched: median(w) / median(b),
    speedup_vs_per_file: p / median(m),
    ffprobe_files: ffprobeFiles.length,
    // Whether those files were read by the stay-open prober (decision 245) rather than ffprobe per file.
    avprobe: tools.avprobeBinary() !== null,
    container_files: containerFiles.length,
    ffprobe_only_s: ffprobeOnlyS,
    ffprobe_floor_ratio_vs_batched: ffprobeOnlyS / median(b),
    goal: 'within 1.5× of batched; ≥ 5× faster than per-file',
    note: 'montu_s: new MediaProber per run (exiftool start-up and end timed); montu_warm_s: one prober kept alive. ffprobe_only_s: ffprobe alone on the files Montu needs it for (video/audio, DPX, some BMP), same parallelism. exiftool per file runs with the same parallelism.',
  };
}
if (ONLY.has('metadata')) {
  await metadataBench(stillFiles, 'metadata');
  await metadataBench(mixedFiles, 'metadataMixed');
}

// ---- (c) one video frame vs ffmpeg -ss T -i FILE -frames:v 1 -------------------------------
if (ONLY.has('frame')) {
  const prober = new MediaProber({ tools });
  const meta = await prober.probe(video);
  await prober.close();
  const limits = resolveLimits();
  const T = 10;
  const ff = () =>
    run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-ss',
      String(T),
      '-i',
      video,
      '-frames:v',
      '1',
      path.join(tmp, 'frame.jpg'),
    ]);
  const full = async () => {
    const r = await videoFrame(video, meta, {
      tools,
      maxEdge: null,
      timestamp: T,
      limits,
      timeoutMs: 60_000,
    });
    await fs.writeFile(path.join(tmp, 'frame-montu.jpg'), r.data);
  };
  const thumb = async () => {
    const r = await createThumbnail(video, meta, { tools, timestamp: T });
    await fs.writeFile(path.join(tmp, 'thumb-montu.jpg'), r.data);
  };
  await ff();
  await full();
  const a = [],
    f = [],
    t = [];
  for (let r = 0; r < (RUNS ?? 9); r++) {
    a.push(await timed(ff));
    f.push(await timed(full));
    t.push(await timed(thumb));
  }
  out.benchmarks.videoFrame = {
    file: '1920x1080 H.264 24000/1001, 20 s, GOP 48',
    timestamp_s: T,
    ffmpeg_s: median(a),
    montu_full_frame_s: median(f),
    montu_thumbnail_s: median(t),
    ratio_full_frame: median(f) / median(a),
    ratio_thumbnail: median(t) / median(a),
    goal: 'within 1.2×',
  };
}

await tools.close();
if (!WRITE) {
  console.log(JSON.stringify({ decoderProcesses: out.decoderProcesses, ...out.benchmarks }, null, 2));
  process.exit(0);
}
out.loadavg_end = os.loadavg()[0];
await fs.writeFile(path.join(results, 'media.json'), JSON.stringify(out, null, 2) + '\n');
const b = out.benchmarks;
const f3 = (x) => x.toFixed(3);
const md = `# Media benchmarks

${out.date} · ${out.cpus} CPUs · Node ${out.node} · concurrency ${out.concurrency} · load average ${out.loadavg_start.toFixed(1)} at the start, ${out.loadavg_end.toFixed(1)} at the end (a shared, busy machine: every ratio is of two runs under the same load, the absolute times are not).${''} Produced by \`node bench/media-bench.mjs\`; medians of repeated runs, side by side on the same files.

| benchmark | Montu | reference | ratio | goal |
| --- | --- | --- | --- | --- |
| thumbnails, ${b.thumbnails.files} × 4K JPEG → 256 px | ${f3(b.thumbnails.montu_s)} s | vipsthumbnail ${f3(b.thumbnails.vipsthumbnail_s)} s | **${b.thumbnails.ratio.toFixed(2)}×** | ≤ 0.5× |
| metadata, ${b.metadata.files} stills (cold: prober started and ended in the timing) | ${f3(b.metadata.montu_s)} s | one batched \`exiftool -json\` ${f3(b.metadata.exiftool_batched_s)} s | **${b.metadata.ratio_vs_batched.toFixed(2)}×** | ≤ 1.5× |
| metadata, ${b.metadata.files} stills | ${f3(b.metadata.montu_s)} s | one exiftool per file ${f3(b.metadata.exiftool_per_file_s)} s | **${b.metadata.speedup_vs_per_file.toFixed(1)}× faster** | ≥ 5× faster |
| metadata, ${b.metadata.files} stills, warm prober | ${f3(b.metadata.montu_warm_s)} s | one batched \`exiftool -json\` (cold, as always) | ${b.metadata.warm_ratio_vs_batched.toFixed(2)}× | (information) |
| metadata, ${b.metadataMixed.files} corpus files incl. ${b.metadataMixed.ffprobe_files} read through libavformat (${b.metadataMixed.avprobe ? 'one `montu-avprobe` process' : 'ffprobe per file'}) and ${b.metadataMixed.container_files} MOV/MP4/WAV/FLAC/AIFF/MP3/Ogg/MKV read in-process | ${f3(b.metadataMixed.montu_s)} s | one batched \`exiftool -json\` ${f3(b.metadataMixed.exiftool_batched_s)} s | **${b.metadataMixed.ratio_vs_batched.toFixed(2)}×** | ≤ 1.0× (${b.metadataMixed.ratio_vs_batched <= 1 ? 'met' : 'not met in this run'}) |
| ↳ ffprobe per file alone on those ${b.metadataMixed.ffprobe_files} files${b.metadataMixed.avprobe ? ' (what `montu-avprobe` replaces)' : ' (the floor)'} | ${f3(b.metadataMixed.ffprobe_only_s)} s | one batched \`exiftool -json\` ${f3(b.metadataMixed.exiftool_batched_s)} s | ${b.metadataMixed.ffprobe_floor_ratio_vs_batched.toFixed(2)}× | — |
| metadata, ${b.metadataMixed.files} corpus files | ${f3(b.metadataMixed.montu_s)} s | one exiftool per file ${f3(b.metadataMixed.exiftool_per_file_s)} s | **${b.metadataMixed.speedup_vs_per_file.toFixed(1)}× faster** | ≥ 5× faster |
| video frame at ${b.videoFrame.timestamp_s} s, full 1080p JPEG | ${f3(b.videoFrame.montu_full_frame_s)} s | \`ffmpeg -ss T -i FILE -frames:v 1\` ${f3(b.videoFrame.ffmpeg_s)} s | **${b.videoFrame.ratio_full_frame.toFixed(2)}×** | ≤ 1.2× |
| video thumbnail at ${b.videoFrame.timestamp_s} s, 256 px | ${f3(b.videoFrame.montu_thumbnail_s)} s | same ffmpeg command | **${b.videoFrame.ratio_thumbnail.toFixed(2)}×** | ≤ 1.2× |

Metadata: "cold" runs create a new \`MediaProber\` per run, so starting its exiftool processes (one per core, Perl, ~0.1 s CPU each) and ending them is inside the timing, as exiftool's own start-up is inside the batched command's; the warm row keeps one prober alive (a server's steady state) and is information only. Montu's CPU for the cold still run (incl. exiftool/ffprobe children): ${b.metadata.montu_cpu_s.toFixed(2)} s. Montu reads exiftool through exiftool-vendored's bundled ExifTool ${out.exiftoolVersions.vendored}, the reference runs Debian's \`exiftool\` ${out.exiftoolVersions.system}; ffmpeg's pixel-format table (one ffprobe run per process, for stills ffprobe reads) is loaded during the warm-up run. ffprobe (Debian build, ~215 shared libraries) costs ~65 ms of CPU per start: ffprobe per file alone on the ${b.metadataMixed.ffprobe_files} files of the mixed set that the in-process readers decline takes ${f3(b.metadataMixed.ffprobe_only_s)} s, ${b.metadataMixed.ffprobe_floor_ratio_vs_batched.toFixed(2)}× the batched exiftool call. Montu reads them through \`montu-avprobe\` (decision 245), one long-lived process making ffprobe's libavformat calls, so those libraries load once per prober (its start is inside the cold timing). MOV/MP4/M4V/M4A, WAV, FLAC, AIFF, Xing MP3, Ogg and Matroska/WebM files that the in-process readers answer for exactly (decisions 090, 190, 225, 228) and DPX (header) do not need it; the rest of the corpus's video/audio (other MKV/WebM, AVI, FLV, WMV, MXF, MP3 without Xing, ADTS, HE-AAC, HEVC/DNxHD MOVs) do.
`;
await fs.writeFile(path.join(results, 'media.md'), md);
console.log(md);
