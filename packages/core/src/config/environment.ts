/**
 * What the library takes from the environment, read in one place: openMontu reads it once and
 * passes each part down (tool paths, the OCIO display transform, the queue name, the decoder pool
 * size). Nothing else in the core reads `process.env`.
 */

/** Paths of the external tools (`MONTU_FFMPEG`, `MONTU_FFPROBE`, `MONTU_OIIOTOOL`, `MONTU_VIPS`, `MONTU_AVPROBE`). */
export interface ToolPaths {
  ffmpeg: string;
  ffprobe: string;
  oiiotool: string;
  vips: string;
  /**
   * The stay-open prober (`MONTU_AVPROBE`, decision 245): a path, `off`, or '' for the build of
   * `scripts/bootstrap.sh`, used only while `ffprobe` is the default one (it links the same
   * libraries as the system's ffprobe).
   */
  avprobe: string;
}

/** The studio display transform (decision 074): an OpenColorIO config and the display/view to use. */
export interface OcioSettings {
  /** `$OCIO`: the config file; null renders linear images with the built-in transform. */
  config: string | null;
  /** `MONTU_OCIO_DISPLAY`; null: the config's default display. */
  display: string | null;
  /** `MONTU_OCIO_VIEW`; null: the display's default view. */
  view: string | null;
  /** `OCIO_ACTIVE_DISPLAYS` / `OCIO_ACTIVE_VIEWS` (OpenColorIO reads them itself; they key its cache here). */
  activeDisplays: string;
  activeViews: string;
}

export interface Environment {
  tools: ToolPaths;
  ocio: OcioSettings;
  /** `MONTU_QUEUE_NAME`: the BullMQ queue name, so several libraries (or test runs) share one Redis. */
  queueName: string | null;
  /** `MONTU_DECODER_PROCESSES`: image decoder processes (null: one decode per core in all). */
  decoderProcesses: number | null;
  /** `MONTU_DECODES_PER_PROCESS`: decodes one decoder process runs at once (null: 2). */
  decodesPerProcess: number | null;
  /** `PATH`, where tools given by name are looked for. */
  path: string;
  /** `AWS_REGION` / `AWS_DEFAULT_REGION`: the S3 region when the storage settings name none. */
  awsRegion: string | null;
  /** `MONTU_WEBHOOK_ALLOW_NETWORKS`: loopback/private addresses or CIDR ranges webhooks may reach. */
  webhookAllowNetworks: string[];
}

/** Reads the environment (default: this process's) once. */
export function readEnvironment(env: Record<string, string | undefined> = process.env): Environment {
  const decoders = Number(env['MONTU_DECODER_PROCESSES']);
  const perDecoder = Number(env['MONTU_DECODES_PER_PROCESS']);
  return {
    tools: {
      ffmpeg: env['MONTU_FFMPEG'] ?? 'ffmpeg',
      ffprobe: env['MONTU_FFPROBE'] ?? 'ffprobe',
      oiiotool: env['MONTU_OIIOTOOL'] ?? 'oiiotool',
      vips: env['MONTU_VIPS'] ?? 'vips',
      avprobe: env['MONTU_AVPROBE'] ?? '',
    },
    ocio: {
      config: env['OCIO'] || null,
      display: env['MONTU_OCIO_DISPLAY'] || null,
      view: env['MONTU_OCIO_VIEW'] || null,
      activeDisplays: env['OCIO_ACTIVE_DISPLAYS'] ?? '',
      activeViews: env['OCIO_ACTIVE_VIEWS'] ?? '',
    },
    queueName: env['MONTU_QUEUE_NAME'] || null,
    decoderProcesses: Number.isInteger(decoders) && decoders > 0 ? decoders : null,
    decodesPerProcess: Number.isInteger(perDecoder) && perDecoder > 0 ? perDecoder : null,
    path: env['PATH'] ?? '',
    webhookAllowNetworks: (env['MONTU_WEBHOOK_ALLOW_NETWORKS'] ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
    awsRegion: env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? null,
  };
}

/** The environment as this process started with it: read once, when the core is first loaded. */
export const STARTUP_ENVIRONMENT: Environment = readEnvironment();
