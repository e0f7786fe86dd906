/** probe: technical metadata of files, as Montu extracts it (ffprobe + exiftool + sharp). */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Command } from 'commander';
import type { MediaMetadata } from '@montu/core';
import { loadCore } from '../core.js';
import { CliError, EXIT, describeError, oneLine } from '../errors.js';
import { formatBytes, out, printJsonLine } from '../format.js';
import { intArg } from '../options.js';

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A few readable lines per file. */
export function probeSummary(file: string, m: MediaMetadata): string {
  const facts: string[] = [`${m.mediaType} ${m.format}`, formatBytes(m.fileSize)];
  if (m.width !== null && m.height !== null) facts.push(`${m.width}x${m.height}`);
  if (m.pixelType) facts.push(m.pixelType);
  else if (m.bitDepth) facts.push(`${m.bitDepth}-bit`);
  if (m.channelNames?.length) facts.push(`channels ${m.channelNames.join(',')}`);
  else if (m.channels) facts.push(`${m.channels} channels`);
  if (m.colourSpace) facts.push(m.colourSpace);
  if (m.compression) facts.push(`compression ${m.compression}`);
  const time: string[] = [];
  if (m.videoCodec) time.push(`${m.videoCodec}${m.videoProfile ? ` (${m.videoProfile})` : ''}`);
  if (m.pixelFormat && m.mediaType === 'video') time.push(m.pixelFormat);
  if (m.fps) time.push(`${m.fps} fps`);
  if (m.duration !== null) time.push(`${m.duration}s`);
  if (m.frameCount !== null) time.push(`${m.frameCount} frames`);
  if (m.timecode) time.push(`TC ${m.timecode}`);
  const lines = [`${file}`, `  ${facts.join(' · ')}`];
  if (time.length) lines.push(`  ${time.join(' · ')}`);
  if (m.audio) {
    const a = m.audio;
    lines.push(
      `  audio ${[
        a.codec,
        a.sampleRate ? `${a.sampleRate} Hz` : null,
        a.channels ? `${a.channels} ch` : null,
        a.channelLayout,
        a.bitDepth ? `${a.bitDepth}-bit` : null,
      ]
        .filter(Boolean)
        .join(' · ')}`,
    );
  }
  if (m.parts && m.parts.length > 1)
    lines.push(`  ${m.parts.length} parts: ${m.parts.map((p) => p.name ?? p.index).join(', ')}`);
  if (m.camera?.model) lines.push(`  camera ${[m.camera.make, m.camera.model].filter(Boolean).join(' ')}`);
  if (m.sha256) lines.push(`  sha256 ${m.sha256}`);
  for (const w of m.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description('print the technical metadata Montu extracts from files (no data directory needed)')
    .argument('<files...>', 'media files')
    .option(
      '--json',
      'one JSON object per file per line: { "file": …, …metadata } or { "file": …, "error": {…} }',
    )
    .option('--sha256', "also compute each file's sha256")
    .option('-j, --jobs <n>', 'files probed at once', intArg(1), 4)
    .action(async (files: string[], f: { json?: boolean; sha256?: boolean; jobs: number }) => {
      const { MediaProber, MediaTools, readEnvironment } = await loadCore();
      // Local mode: the tools this process's environment names (config read here, at the edge).
      const tools = new MediaTools(readEnvironment());
      const prober = new MediaProber({ tools });
      let failed = 0;
      let lastError = '';
      try {
        // Probe in parallel but print in the order given.
        const results = new Array<Promise<MediaMetadata | Error>>(files.length);
        let next = 0;
        const start = (i: number) => {
          results[i] = (async () => {
            try {
              const meta = await prober.probe(files[i]!);
              if (f.sha256) meta.sha256 = await sha256(files[i]!);
              return meta;
            } catch (e) {
              return e instanceof Error ? e : new Error(String(e));
            }
          })();
        };
        while (next < Math.min(f.jobs, files.length)) start(next++);
        for (let i = 0; i < files.length; i++) {
          const r = await results[i]!;
          if (next < files.length) start(next++);
          if (r instanceof Error) {
            failed++;
            const d = describeError(r);
            if (f.json)
              printJsonLine({ file: files[i], error: { code: d.code, message: oneLine(d.message) } });
            else if (files.length === 1) lastError = `${files[i]}: ${d.message}`;
            else process.stderr.write(`montu: error: ${files[i]}: ${oneLine(d.message)}\n`);
          } else if (f.json) printJsonLine({ file: files[i], ...r });
          else out(probeSummary(files[i]!, r));
        }
      } finally {
        await prober.close();
      }
      if (failed === 0) return;
      if (failed < files.length)
        throw new CliError(`${failed} of ${files.length} file(s) could not be read`, EXIT.partial, 'partial');
      throw new CliError(
        files.length === 1
          ? lastError || `${files[0]} could not be read`
          : `none of the ${files.length} files could be read`,
        EXIT.failure,
        'processing_error',
      );
    });
}
