import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import sharp from 'sharp';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import xmlParser from 'fast-xml-parser';
import { parseCsv, timecodeToFrame } from '../../src/index.js';
import { DATABASES, tempDir } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';
import { makeDropFrameMxf, makeProResMov } from '../../../../e2e/fixtures/media.js';

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

const EVENT =
  /^(\d{3}) {2}(\S+) +V +C +(\d\d:\d\d:\d\d[:;]\d\d) (\d\d:\d\d:\d\d[:;]\d\d) (\d\d:\d\d:\d\d[:;]\d\d) (\d\d:\d\d:\d\d[:;]\d\d)$/;
const LOC = /^\* LOC: (\d\d:\d\d:\d\d[:;]\d\d) (RED|GREEN) +(.+)$/;

/** An FCPXML time (`1001/24000s`, `3600s`, `0s`) as a count of frames at `fps` (num/den); throws unless whole. */
function framesOf(time: string, num: number, den: number): number {
  const m = /^(\d+)(?:\/(\d+))?s$/.exec(time);
  if (!m) throw new Error(`not an FCPXML time: ${time}`);
  // time = a/b seconds; frames = a/b * num/den, exactly (BigInt: no rounding).
  const [a, b] = [BigInt(m[1]!), BigInt(m[2] ?? '1')];
  const [n, d] = [a * BigInt(num), b * BigInt(den)];
  if (n % d !== 0n) throw new Error(`${time} is not a whole number of frames at ${num}/${den}`);
  return Number(n / d);
}

type XmlNode = Record<string, unknown>;
const list = (x: unknown): XmlNode[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]) as XmlNode[];

/** Parses FCPXML after checking it is well-formed XML; attributes as plain keys. */
function parseFcpxml(text: string): XmlNode {
  const valid = xmlParser.validate(text);
  if (valid !== true) throw new Error(`FCPXML is not well-formed: ${JSON.stringify(valid)}`);
  return xmlParser.parse(text, {
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
  }) as XmlNode;
}

describe.each(DATABASES)('notes package on %s', (kind) => {
  let lib: TestLibrary;
  let work: string;
  let movId: string;
  let mxfId: string;

  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: { concurrency: 2, retry: { backoffMs: 50 } } });
    work = tempDir();
    await lib.montu.projects.createProject({ id: 'PKG', settings: { movieStartFrame: 1001 } });
    movId = await lib.montu.media.uploadMedia({
      filePath: makeProResMov(work, { name: 'comp.mov' }),
      projectId: 'PKG',
      taskId: 'ep01_sq010_sh020_comp',
      author: 'ana',
      version: 2,
      wait: true,
    });
    mxfId = await lib.montu.media.uploadMedia({
      filePath: makeDropFrameMxf(work),
      projectId: 'PKG',
      taskId: 'ep01_sq010_sh030_comp',
      author: 'ana',
      wait: true,
    });
    const { notes } = lib.montu;
    const drawn = await notes.addNote(movId, {
      content: 'fix the edge',
      author: 'sup',
      frame: 40,
      drawing: {
        version: 1,
        shapes: [
          { type: 'line', color: '#ff0000', width: 0.2, from: { x: 0.5, y: 0 }, to: { x: 0.5, y: 1 } },
        ],
      },
    });
    await notes.addNote(movId, { content: 'reply', author: 'ana', parentId: drawn.id, frame: 40 });
    await notes.addNote(movId, { content: 'pin, no drawing', author: 'sup', frame: 10 });
    await notes.addNote(mxfId, { content: 'grade', author: 'sup', frame: 4 });
  });
  afterAll(async () => {
    await lib.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('a version: frames named by task, version and source frame, the stroke drawn, notes and markers', async () => {
    const zip = await bytes(await lib.montu.playlists.exportVersionNotesPackage(movId));
    const file = path.join(work, 'version.zip');
    fs.writeFileSync(file, zip);
    execFileSync('unzip', ['-tq', file]); // an independent reader accepts it
    const entries = unzipSync(zip);
    expect(Object.keys(entries).sort()).toEqual([
      'frames/ep01_sq010_sh020_comp_v002.1011.png',
      'frames/ep01_sq010_sh020_comp_v002.1041.png',
      'markers.edl',
      'markers.fcpxml',
      'markers.otio',
      'notes.csv',
      'notes.json',
    ]);
    const png = entries['frames/ep01_sq010_sh020_comp_v002.1041.png']!;
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([64, 36]);
    const at = (x: number, y: number) =>
      [0, 1, 2].map((c) => data[(y * info.width + x) * info.channels + c]!);
    const [r, g, b] = at(32, 18);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
    // The frame itself is there beside the stroke (testsrc is not red at its left edge).
    expect(at(2, 18)).not.toEqual([r, g, b]);

    const csv = parseCsv(strFromU8(entries['notes.csv']!));
    const header = csv[0]!;
    const rows = csv.slice(1).map((row) => Object.fromEntries(header.map((h, i) => [h, row[i]])));
    expect(rows.find((x) => x['text'] === 'fix the edge')).toMatchObject({
      frame: '40',
      source_frame: '1041',
      timecode: '01:00:01:16',
    });
    const json = JSON.parse(strFromU8(entries['notes.json']!)) as {
      items: Array<{
        frames: Array<{ file: string; sourceFrame: number; timecode: string }>;
        notes: unknown[];
      }>;
    };
    expect(json.items[0]!.frames).toMatchObject([
      { file: 'frames/ep01_sq010_sh020_comp_v002.1011.png', sourceFrame: 1011 },
      { file: 'frames/ep01_sq010_sh020_comp_v002.1041.png', sourceFrame: 1041, timecode: '01:00:01:16' },
    ]);
    expect(json.items[0]!.notes).toHaveLength(3);

    const edl = strFromU8(entries['markers.edl']!).split('\r\n');
    expect(edl[0]).toBe('TITLE: ep01_sq010_sh020_comp_v002');
    expect(edl[1]).toBe('FCM: NON-DROP FRAME');
    const events = edl.filter((l) => EVENT.test(l)).map((l) => EVENT.exec(l)!);
    expect(events).toHaveLength(1);
    expect(events[0]!.slice(1)).toEqual([
      '001',
      'AX',
      '01:00:00:00',
      '01:00:02:00',
      '01:00:00:00',
      '01:00:02:00',
    ]);
    const locs = edl.filter((l) => l.startsWith('* LOC:'));
    expect(locs.every((l) => LOC.test(l))).toBe(true);
    expect(locs.map((l) => LOC.exec(l)![1])).toEqual(['01:00:01:16', '01:00:00:10']);
    expect(timecodeToFrame(LOC.exec(locs[0]!)![1]!, '24000/1001') - 86400).toBe(40);

    const otio = JSON.parse(strFromU8(entries['markers.otio']!)) as {
      tracks: {
        children: Array<{
          children: Array<{ markers: Array<{ marked_range: { start_time: { value: number } } }> }>;
        }>;
      };
    };
    const markers = otio.tracks.children[0]!.children[0]!.markers;
    expect(markers.map((m) => m.marked_range.start_time.value).sort()).toEqual([86410, 86440]);

    // FCPXML: the structure Final Cut Pro reads, markers on their source frames exactly.
    const fcp = parseFcpxml(strFromU8(entries['markers.fcpxml']!))['fcpxml'] as XmlNode;
    expect(fcp['version']).toBe('1.9');
    const format = list((fcp['resources'] as XmlNode)['format'])[0]!;
    expect(format).toMatchObject({ frameDuration: '1001/24000s', width: '64', height: '36' });
    const asset = list((fcp['resources'] as XmlNode)['asset'])[0]!;
    expect(asset['format']).toBe(format['id']);
    const sequence = (((fcp['library'] as XmlNode)['event'] as XmlNode)['project'] as XmlNode)[
      'sequence'
    ] as XmlNode;
    expect(framesOf(sequence['tcStart'] as string, 24000, 1001)).toBe(86400); // 01:00:00:00
    const clips = list((sequence['spine'] as XmlNode)['asset-clip']);
    expect(clips).toHaveLength(1);
    const clip = clips[0]!;
    expect(clip).toMatchObject({ ref: asset['id'], offset: '0s', tcFormat: 'NDF' });
    expect(framesOf(clip['start'] as string, 24000, 1001)).toBe(86400); // the source timecode
    expect(framesOf(clip['duration'] as string, 24000, 1001)).toBe(48);
    const fcpMarkers = list(clip['marker']);
    expect(
      fcpMarkers.map((m) => [
        framesOf(m['start'] as string, 24000, 1001),
        m['duration'],
        m['value'],
        m['completed'],
      ]),
    ).toEqual([
      [86410, '1001/24000s', 'sup: pin, no drawing', '0'],
      [86440, '1001/24000s', 'sup: fix the edge', '0'], // frame 40 = 01:00:01:16, one frame long
    ]);
  });

  it('a playlist: one EDL event per item, drop-frame kept for the MXF', async () => {
    const pl = await lib.montu.playlists.createPlaylist({
      projectId: 'PKG',
      name: 'Dailies',
      owner: 'sup',
      mediaIds: [movId, mxfId],
    });
    const entries = unzipSync(await bytes(await lib.montu.playlists.exportNotesPackage(pl.id)));
    expect(
      Object.keys(entries)
        .filter((n) => n.endsWith('.png'))
        .sort(),
    ).toEqual([
      'frames/ep01_sq010_sh020_comp_v002.1011.png',
      'frames/ep01_sq010_sh020_comp_v002.1041.png',
      'frames/ep01_sq010_sh030_comp_v001.1005.png', // the project numbers movies from 1001
    ]);
    const edl = strFromU8(entries['markers.edl']!).split('\r\n');
    expect(edl.filter((l) => l.startsWith('FCM:'))).toEqual(['FCM: NON-DROP FRAME', 'FCM: DROP FRAME']);
    const events = edl.filter((l) => EVENT.test(l)).map((l) => EVENT.exec(l)!);
    expect(events.map((e) => e[1])).toEqual(['001', '002']);
    expect(events[1]![3]).toBe('00:01:15;26');
    expect(edl).toContain('* LOC: 00:01:16;00 RED     sup: grade');

    // FCPXML: the items end to end on the sequence, each at its own rate; drop-frame kept.
    const fcp = parseFcpxml(strFromU8(entries['markers.fcpxml']!))['fcpxml'] as XmlNode;
    const formats = list((fcp['resources'] as XmlNode)['format']);
    expect(formats.map((f) => f['frameDuration'])).toEqual(['1001/24000s', '1001/30000s']);
    const sequence = (((fcp['library'] as XmlNode)['event'] as XmlNode)['project'] as XmlNode)[
      'sequence'
    ] as XmlNode;
    const clips = list((sequence['spine'] as XmlNode)['asset-clip']);
    expect(clips.map((c) => c['tcFormat'])).toEqual(['NDF', 'DF']);
    // The second clip starts where the first ends: 48 frames at 23.976 = 2.002 s.
    expect(clips[1]!['offset']).toBe('1001/500s');
    const mxfStart = timecodeToFrame('00:01:15;26', '30000/1001');
    expect(framesOf(clips[1]!['start'] as string, 30000, 1001)).toBe(mxfStart);
    const grade = list(clips[1]!['marker'])[0]!;
    expect(framesOf(grade['start'] as string, 30000, 1001)).toBe(mxfStart + 4); // 00:01:16;00
    expect(grade['value']).toBe('sup: grade');
  });
});
