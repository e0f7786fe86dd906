/**
 * The wire schema of a media item's technical metadata (`Media.metadata`): what the probe writes
 * (MediaMetadata), what image sequences add, and room for anything a studio records itself
 * (`colorSpace`, `renderEngine`, …). The OpenAPI document publishes it (component
 * `MediaMetadata`), the HTTP layer serialises with it, and `checkMetadata` holds every metadata
 * write to it, so no stored value can break an answer. Every field is optional: an item's
 * metadata fills in as processing runs.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ValidationError } from '@montu/domain';
import type { MediaMetadata } from './metadata.js';

/**
 * `T | null` as `type: [T, "null"]` rather than `anyOf`: the same meaning in JSON Schema 2020-12 /
 * OpenAPI 3.1, and fast-json-stringify serialises it without running a validator per field
 * (anyOf made GET /media/:id several times slower).
 */
export const Nullable = <T extends TSchema>(t: T) =>
  Type.Unsafe<Static<T> | null>({
    ...t,
    type: [(t as { type?: string }).type ?? 'object', 'null'],
    ...(Array.isArray(t['enum']) ? { enum: [...(t['enum'] as unknown[]), null] } : {}),
  });

/** A string from a fixed list. */
export const Enum = <T extends string>(values: readonly T[], options: object = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

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

// The probe's output must fit the schema, field for field (or serialising it would fail).
type Fits<T> = T extends Static<typeof MediaMetadataSchema> ? true : false;
type Undeclared = Exclude<keyof MediaMetadata, keyof Static<typeof MediaMetadataSchema>>;
const probeOutputFits: Fits<MediaMetadata> & ([Undeclared] extends [never] ? true : false) = true;
void probeOutputFits;

let validate: ValidateFunction | undefined;

/** Refuses metadata that does not fit the schema, naming the first field that does not. */
export function checkMetadata(metadata: Record<string, unknown>): void {
  validate ??= new Ajv({ allowUnionTypes: true, strict: false }).compile(MediaMetadataSchema);
  if (validate(metadata)) return;
  const e = validate.errors?.[0];
  const where = `metadata${(e?.instancePath ?? '').replace(/\//g, '.')}`;
  throw new ValidationError(`${where} ${e?.message ?? 'is not valid'} (docs/media-processing.md).`, {
    field: where,
  });
}
