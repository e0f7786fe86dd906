/** Media processing: sniffing, metadata, thumbnails, proxies, sequences, limits. */
export * from './metadata.js';
export * from './metadata-schema.js';
export * from './limits.js';
export {
  MediaProber,
  SHARP_FORMATS,
  LINEAR_FORMATS,
  type ProbeOptions,
  type MediaProberOptions,
} from './probe.js';
export {
  createThumbnail,
  videoFrame,
  waveform,
  clampTimestamp,
  DEFAULT_THUMBNAIL_SIZE,
  DEFAULT_THUMBNAIL_TIMESTAMP,
  type ThumbnailOptions,
} from './thumbnail.js';
export {
  renderStill,
  displaySize,
  fitInside,
  type RenderedImage,
  type ImageFormat,
  type EncodeOptions,
} from './still.js';
export * from './proxy.js';
export * from './sequence.js';
export { linearToSrgb, filmic, toDisplay, type ToneMap } from './colour.mjs';
export { createFloatRendition, wantsFloatRendition, type FloatRendition } from './float-rendition.js';
export { runTool, findTool, stderrTail, type RunToolOptions, type ToolResult } from './tools.js';
export { MediaTools, type ToolName } from './media-tools.js';
export {
  DecoderPool,
  decoderFailure,
  defaultDecoderProcesses,
  type DecoderPoolOptions,
  type DecodeOptions,
  type DecoderFailure,
} from './decoder-pool.js';
