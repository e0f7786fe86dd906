import { afterAll, describe, expect, it } from 'vitest';
import { ProcessingError } from '@montu/domain';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { createThumbnail } from '../../src/processing/tools/thumbnail.js';
import type { RenderedImage } from '../../src/processing/tools/still.js';
import { corpusPath, HAVE_CORPUS, loadManifest, type ManifestEntry } from './corpus.js';
import { TOOLS } from './helpers.js';

/**
 * Broken and hostile files: metadata + thumbnail either succeed or throw a ProcessingError,
 * never anything else, never a hang or a crash. Files that every oracle decodes cleanly must be
 * processed; declared decompression bombs must be refused before decoding.
 */
const broken = loadManifest().filter((f) => f.kind === 'broken');
const prober = new MediaProber({
  tools: TOOLS,
  limits: { probeTimeoutMs: 20_000, thumbnailTimeoutMs: 20_000 },
});
afterAll(() => prober.close());

/** Every oracle that looked at these decodes them: Montu must too. */
const MUST_SUCCEED = new Set([
  'truncated_jpeg.jpg',
  'png_decompression_dos.png',
  'r11025_u8_c1_trunc.wav',
  '04 - wrong number of channels.flac',
  '05 - wrong total number of samples.flac',
  // '11 - incorrect metadata block length.flac' "decodes cleanly" in ffmpeg but to zero samples: no waveform, a ProcessingError.
]);
// png-truncated.png is a 1×1 PNG whose IDAT is complete (only the CRC and IEND are cut):
// libspng decodes the pixel, so either outcome is accepted.
/** Declare more pixels than any limit allows, or cannot be decoded by anything. */
const MUST_FAIL = new Set([
  'memory_DOS_1',
  'decompression_bomb.gif',
  'bogus.wav',
  'MP3.mp3',
  'Matroska.mkv',
  'sample.mkv',
  'Mpeg4.mp4',
  'bug1079747.mp4',
  'FlashVideo.flv',
  'comp_early_eof_piz.exr',
  'broken.png',
  'truncated_image.png',
  'invalid_shared_attrs_multipart.exr',
]);

async function process(e: ManifestEntry): Promise<RenderedImage> {
  const name = e.path.split('/').pop()!;
  const meta = await prober.probe(corpusPath(e), { name });
  return createThumbnail(corpusPath(e), meta, { tools: TOOLS, size: 64 });
}

describe.skipIf(!HAVE_CORPUS)('broken corpus files', () => {
  it.concurrent.each(broken.map((e) => [e.path.split('/').pop()!, e] as const))(
    '%s',
    { timeout: 60_000 },
    async (name, e) => {
      let outcome: RenderedImage | unknown;
      try {
        outcome = await process(e);
      } catch (err) {
        outcome = err;
      }
      if (outcome instanceof Error) {
        expect(outcome, `${name}: ${outcome.message}`).toBeInstanceOf(ProcessingError);
        expect(outcome.message.length).toBeGreaterThan(5);
        expect(MUST_SUCCEED.has(name), `${name} should have been processed: ${outcome.message}`).toBe(false);
      } else {
        expect(MUST_FAIL.has(name), `${name} should have failed`).toBe(false);
        expect((outcome as RenderedImage).data.length).toBeGreaterThan(100);
      }
    },
  );
});
