/**
 * The wire schema of a media item's technical metadata (`Media.metadata`): what the probe writes,
 * what image sequences add, and room for anything a studio records itself (`colorSpace`,
 * `renderEngine`, …). The OpenAPI document publishes it (component `MediaMetadata`), the HTTP
 * layer serialises with it, and the core's `checkMetadata` holds every metadata write to it, so
 * no stored value can break an answer. Every field is optional: an item's metadata fills in as
 * processing runs. It is the one open object of the contract (decision 105): its other keys
 * are the studio's own.
 */
import { Type } from '@sinclair/typebox';
import { Enum, Nullable } from './schema.js';

const Opt = Type.Optional;
const int = () => Opt(Nullable(Type.Integer()));
const num = () => Opt(Nullable(Type.Number()));
const str = () => Opt(Nullable(Type.String()));
const open = { additionalProperties: true } as const;

const PixelWindow = Type.Object(
  {
    xMin: Opt(Type.Integer()),
    yMin: Opt(Type.Integer()),
    xMax: Opt(Type.Integer()),
    yMax: Opt(Type.Integer()),
    width: Opt(Type.Integer()),
    height: Opt(Type.Integer()),
  },
  { ...open, title: 'PixelWindow', description: 'Inclusive pixel bounds, as EXR headers store them' },
);

const ExrPart = Type.Object(
  {
    index: Opt(Type.Integer()),
    name: str(),
    view: str(),
    type: str(),
    width: int(),
    height: int(),
    dataWindow: Opt(Nullable(PixelWindow)),
    displayWindow: Opt(Nullable(PixelWindow)),
    channelNames: Opt(Type.Array(Type.String())),
    channelTypes: Opt(Type.Array(Type.String())),
    compression: str(),
  },
  { ...open, title: 'ExrPart' },
);

const StreamSummary = Type.Object(
  {
    index: Opt(Type.Integer()),
    type: Opt(Enum(['video', 'audio', 'subtitle', 'data', 'attachment', 'unknown'] as const)),
    codec: str(),
    attachedPicture: Opt(Type.Boolean()),
    language: str(),
    width: int(),
    height: int(),
    fps: str(),
    sampleRate: int(),
    channels: int(),
  },
  { ...open, title: 'StreamSummary' },
);

const CameraInfo = Type.Object(
  {
    make: str(),
    model: str(),
    lens: str(),
    iso: num(),
    exposureTime: str(),
    fNumber: num(),
    focalLength: num(),
    dateTaken: str(),
    gps: Opt(
      Nullable(
        Type.Object(
          { latitude: Opt(Type.Number()), longitude: Opt(Type.Number()), altitude: num() },
          { ...open, title: 'GpsPosition' },
        ),
      ),
    ),
  },
  { ...open, title: 'CameraInfo' },
);

const AudioInfo = Type.Object(
  {
    codec: str(),
    profile: str(),
    sampleRate: int(),
    channels: int(),
    channelLayout: str(),
    bitDepth: int(),
    sampleFormat: str(),
  },
  { ...open, title: 'AudioInfo' },
);

export const MediaMetadataSchema = Type.Object(
  {
    schema: Opt(Type.Integer({ description: 'Version of this structure' })),
    mediaType: Opt(Type.String()),
    format: Opt(Type.String({ description: 'Sniffed format, lower case: exr, jpg, mov, wav, …' })),
    mimeType: Opt(Type.String()),
    container: str(),
    fileSize: Opt(Type.Integer({ description: 'Bytes of the original file' })),
    size: Opt(Type.Integer({ description: 'Bytes stored at upload (before processing)' })),
    sha256: str(),
    width: int(),
    height: int(),
    pixelAspect: num(),
    rotation: int(),
    orientation: int(),
    channels: int(),
    channelNames: Opt(Nullable(Type.Array(Type.String()))),
    bitDepth: int(),
    pixelType: str(),
    pixelFormat: str(),
    colourSpace: str(),
    colourPrimaries: str(),
    colourTransfer: str(),
    colourMatrix: str(),
    colourRange: str(),
    compression: str(),
    subimages: int(),
    parts: Opt(Nullable(Type.Array(ExrPart))),
    dataWindow: Opt(Nullable(PixelWindow)),
    displayWindow: Opt(Nullable(PixelWindow)),
    linear: Opt(Type.Boolean()),
    fps: Opt(Nullable(Type.String({ description: 'Exact rational, e.g. 24000/1001' }))),
    baseFps: str(),
    duration: Opt(Nullable(Type.Number({ description: 'Seconds, to the millisecond' }))),
    durationRational: str(),
    frameCount: int(),
    frameCountSource: Opt(Nullable(Enum(['container', 'estimated'] as const))),
    frameStart: Opt(Type.Integer({ description: 'Sequences: first frame number' })),
    frameEnd: Opt(Type.Integer({ description: 'Sequences: last frame number' })),
    missingFrames: Opt(Type.Array(Type.Integer(), { description: 'Sequences: gaps' })),
    timecode: str(),
    videoCodec: str(),
    videoProfile: str(),
    bitRate: num(),
    audio: Opt(Nullable(AudioInfo)),
    streams: Opt(Type.Array(StreamSummary)),
    camera: Opt(Nullable(CameraInfo)),
    tags: Opt(Type.Record(Type.String(), Type.String())),
    warnings: Opt(Type.Array(Type.String())),
    sources: Opt(Type.Array(Type.String())),
  },
  {
    ...open,
    title: 'MediaMetadata',
    description:
      'Technical metadata: measured by the probe (docs/media-processing.md), plus any key a studio records itself',
  },
);
