/** Failed items in words: the summary names what could not be made and why; the raw error stays the detail. */
import { describe, expect, it } from 'vitest';
import { processingProblem } from '../src/index.js';

describe('processingProblem', () => {
  it('says a decoder killed at its memory cap hit the memory limit, keeping the raw error', () => {
    const raw = 'proxy: ffmpeg was killed by SIGKILL (memory cap 8589934592 bytes): frame=1';
    expect(processingProblem(raw)).toEqual({
      summary: "Could not make a preview: the file is larger than the decoder's memory limit.",
      detail: raw,
    });
  });

  it('names the step and a damaged file', () => {
    expect(
      processingProblem('thumbnail: cannot decode the image: Input buffer contains unsupported image format')
        .summary,
    ).toBe('Could not make a thumbnail: its format is not supported.');
    expect(
      processingProblem(
        'metadata: ffprobe exited with code 1 (memory cap 1 bytes): Invalid data found when processing input',
      ).summary,
    ).toBe('Could not read the file: the file is damaged or incomplete.');
    expect(processingProblem('thumbnail: cannot decode the image: pngload: libspng read error').summary).toBe(
      'Could not make a thumbnail: the file is damaged or incomplete.',
    );
    expect(processingProblem('proxy: ffmpeg timed out after 600000 ms').summary).toBe(
      'Could not make a preview: it took longer than the time limit.',
    );
  });

  it('falls back to what could not be made when the cause is unknown, and copes with no error', () => {
    expect(processingProblem('proxy: ffmpeg exited with code 187')).toEqual({
      summary: 'Could not make a preview.',
      detail: 'proxy: ffmpeg exited with code 187',
    });
    expect(processingProblem(null)).toEqual({ summary: 'Could not make a preview.', detail: '' });
  });
});
