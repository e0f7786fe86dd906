/**
 * The technical metadata Montu records for every media file. JSON-serialisable (plain objects,
 * strings, numbers, booleans and null only). Unknown values are `null`, never guessed.
 * Field-by-field documentation: docs/media-processing.md.
 */
export type ProbedMediaType = 'image' | 'video' | 'audio';

/** Which tool a value came from, so disagreements between tools can be explained. */
export type MetadataSource = 'ffprobe' | 'container' | 'exiftool' | 'sharp' | 'sniff';

export interface PixelWindow {
  /** Inclusive pixel bounds, as stored in EXR headers. */
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
  width: number;
  height: number;
}

export interface ExrPart {
  index: number;
  name: string | null;
  view: string | null;
  /** `scanlineimage`, `tiledimage`, `deepscanline`, `deeptile` (single-part files may omit it). */
  type: string | null;
  /** Data window size. */
  width: number | null;
  height: number | null;
  dataWindow: PixelWindow | null;
  displayWindow: PixelWindow | null;
  channelNames: string[];
  /** Per-channel pixel type in channel order (`half`, `float`, `uint`). */
  channelTypes: string[];
  compression: string | null;
}

export interface StreamSummary {
  index: number;
  type: 'video' | 'audio' | 'subtitle' | 'data' | 'attachment' | 'unknown';
  codec: string | null;
  /** Cover art and other still pictures attached to an audio file. */
  attachedPicture?: boolean;
  language?: string | null;
  width?: number | null;
  height?: number | null;
  fps?: string | null;
  sampleRate?: number | null;
  channels?: number | null;
}

export interface CameraInfo {
  make: string | null;
  model: string | null;
  lens: string | null;
  iso: number | null;
  /** Exposure time in seconds, as the camera wrote it (e.g. `1/250`) and as a number. */
  exposureTime: string | null;
  fNumber: number | null;
  focalLength: number | null;
  /** ISO 8601 without a zone when the file has none (`2023-04-01T12:00:00`). */
  dateTaken: string | null;
  gps: { latitude: number; longitude: number; altitude: number | null } | null;
}

export interface AudioInfo {
  codec: string | null;
  profile: string | null;
  sampleRate: number | null;
  channels: number | null;
  channelLayout: string | null;
  /** Bits per sample of PCM/lossless audio; null for lossy codecs. */
  bitDepth: number | null;
  sampleFormat: string | null;
}

export interface MediaMetadata {
  /** Version of this structure. */
  schema: 1;
  mediaType: ProbedMediaType;
  /** Sniffed format, lower case: `exr`, `jpg`, `mov`, `wav`, … */
  format: string;
  mimeType: string;
  /** Container as ffprobe names it (`mov,mp4,m4a,3gp,3g2,mj2`), or the image format. */
  container: string | null;
  fileSize: number;
  /** Filled by the caller that streamed the file (the storage layer hashes while writing). */
  sha256: string | null;

  /** Pixel size; for EXR the data window (like oiiotool), see `displayWindow`. Coded size for video. */
  width: number | null;
  height: number | null;
  /** Pixel (sample) aspect ratio as a number, 1 for square pixels. */
  pixelAspect: number | null;
  /** Clockwise display rotation in degrees (0, 90, 180, 270), from EXIF orientation or the video display matrix. */
  rotation: number | null;
  /** EXIF orientation (1–8) when present. */
  orientation: number | null;
  channels: number | null;
  channelNames: string[] | null;
  /** Bits per sample (per channel), e.g. 8, 10, 16, 32. */
  bitDepth: number | null;
  /** `uint8`, `uint16`, `half`, `float`, `double`, … or per-channel joined by `/` when mixed. */
  pixelType: string | null;
  pixelFormat: string | null;
  /** Colour space: ICC profile description, EXIF ColorSpace, sharp's interpretation, or `linear` for EXR/HDR. */
  colourSpace: string | null;
  /** Video colour description (ffprobe names). */
  colourPrimaries: string | null;
  colourTransfer: string | null;
  colourMatrix: string | null;
  colourRange: string | null;
  compression: string | null;
  /** Subimages: EXR parts, TIFF pages, GIF/WebP/APNG frames. */
  subimages: number | null;
  /** EXR parts (one entry per part; a single-part file has one). */
  parts: ExrPart[] | null;
  dataWindow: PixelWindow | null;
  displayWindow: PixelWindow | null;
  /** True for scene-linear data (EXR, HDR, float TIFF): thumbnails get a display transform. */
  linear: boolean;

  /** Exact frame rate (`24000/1001`), the video stream's average rate. Never a float. */
  fps: string | null;
  /** The stream's r_frame_rate (lowest rate that represents all timestamps). */
  baseFps: string | null;
  /** Duration in seconds rounded to the millisecond (container duration). */
  duration: number | null;
  /** Exact duration as a rational of seconds (`1001/240`), when the tools give exact timestamps. */
  durationRational: string | null;
  frameCount: number | null;
  /** Where frameCount came from: the container's frame count, or duration × fps. */
  frameCountSource: 'container' | 'estimated' | null;
  /** Start timecode `HH:MM:SS:FF` (`;` before frames for drop-frame). */
  timecode: string | null;
  videoCodec: string | null;
  videoProfile: string | null;
  bitRate: number | null;

  audio: AudioInfo | null;
  streams: StreamSummary[];
  camera: CameraInfo | null;
  /** Selected descriptive tags (title, artist, comment, software, …). */
  tags: Record<string, string>;
  /** Non-fatal problems met while probing. */
  warnings: string[];
  /** Which tools contributed. */
  sources: MetadataSource[];
}

export function emptyMetadata(
  mediaType: ProbedMediaType,
  format: string,
  mimeType: string,
  fileSize: number,
): MediaMetadata {
  return {
    schema: 1,
    mediaType,
    format,
    mimeType,
    container: null,
    fileSize,
    sha256: null,
    width: null,
    height: null,
    pixelAspect: null,
    rotation: null,
    orientation: null,
    channels: null,
    channelNames: null,
    bitDepth: null,
    pixelType: null,
    pixelFormat: null,
    colourSpace: null,
    colourPrimaries: null,
    colourTransfer: null,
    colourMatrix: null,
    colourRange: null,
    compression: null,
    subimages: null,
    parts: null,
    dataWindow: null,
    displayWindow: null,
    linear: false,
    fps: null,
    baseFps: null,
    duration: null,
    durationRational: null,
    frameCount: null,
    frameCountSource: null,
    timecode: null,
    videoCodec: null,
    videoProfile: null,
    bitRate: null,
    audio: null,
    streams: [],
    camera: null,
    tags: {},
    warnings: [],
    sources: [],
  };
}
