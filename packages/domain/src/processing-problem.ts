/**
 * A failed item's processing error in words a supervisor reads (issue 21): the raw error
 * ("proxy: ffmpeg was killed by SIGKILL (memory cap 8589934592 bytes): …") stays available as the
 * detail, the summary says what could not be made and the likely cause in one sentence. One home,
 * so the web app, the CLI and exports say the same thing.
 */

export interface ProcessingProblem {
  /** One short sentence: "Could not make a preview: the file is damaged or incomplete." */
  summary: string;
  /** The raw error, for the "details" disclosure (empty when the server gave none). */
  detail: string;
}

/** What each processing step makes; the raw error starts with `<step>: `. */
const STEP_WHAT: Record<string, string> = {
  metadata: 'read the file',
  probe: 'read the file',
  thumbnail: 'make a thumbnail',
  proxy: 'make a preview',
  web: 'make a preview',
  sprite: 'make the timeline strip',
  waveform: 'make the waveform',
};

/** Causes, most specific first: a pattern of the raw text and the words for it. */
const CAUSES: ReadonlyArray<readonly [RegExp, string]> = [
  [/more than the limit of \d+ bytes|file is \d+ bytes/i, 'the file is larger than the size limit'],
  [/lasts .* more than the limit/i, 'the sequence is longer than the length limit'],
  [/timed out/i, 'it took longer than the time limit'],
  [
    /cannot allocate memory|out of memory|std::bad_alloc|memory limit|killed by SIGKILL \(memory cap|failed to allocate/i,
    "the file is larger than the decoder's memory limit",
  ],
  [/decompression bomb|pixel limit|exceeds? .*limit/i, "the picture is larger than the decoder's limits"],
  [
    /truncat|read error|premature end|unexpected end|end of file|early eof|invalid data found|corrupt|damaged|moov atom not found|bad (?:huffman|header)|incomplete/i,
    'the file is damaged or incomplete',
  ],
  [
    /not a recognised|unknown format|no video or audio stream|found no picture|unsupported|not supported|decoder .* not found/i,
    'its format is not supported',
  ],
  [/could not be started|failed to run|needs the `\w+` command/i, 'a tool it needs is missing on the server'],
];

/** The summary and detail of a processing error (null error: a generic summary, empty detail). */
export function processingProblem(error: string | null | undefined): ProcessingProblem {
  const detail = (error ?? '').trim();
  const step = /^(\w+): /.exec(detail)?.[1];
  const what = (step && STEP_WHAT[step]) ?? 'make a preview';
  const cause = CAUSES.find(([re]) => re.test(detail))?.[1];
  return {
    summary: cause ? `Could not ${what}: ${cause}.` : `Could not ${what}.`,
    detail,
  };
}
