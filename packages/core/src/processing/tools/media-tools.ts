import type { Environment, ToolPaths } from '../../config/environment.js';
import { DecoderPool, DEFAULT_DECODES_PER_PROCESS, defaultDecoderProcesses } from './decoder-pool.js';
import { findAvprobe } from './avprobe-binary.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from './limits.js';
import { findTool } from './tools.js';

export type ToolName = keyof ToolPaths;

/**
 * The external tools and image decoder processes one library uses: the tool paths and the
 * decoder pool size come from the configuration (config/environment.ts, read once by
 * openMontu), and the decoder pools are this instance's own. openMontu makes one and passes it
 * down (ServiceContext.tools); every media tool takes it as an argument, so two libraries in
 * one process may use different ffmpeg builds (decision 157). Scripts and tests make their own
 * (`new MediaTools(readEnvironment())`) and close it.
 */
export class MediaTools {
  /** Paths (or names looked up on `PATH`) of ffmpeg, ffprobe, oiiotool and vips. */
  readonly paths: Readonly<ToolPaths>;
  private readonly searchPath: string;
  private readonly decoderProcesses: number;
  private readonly decodesPerProcess: number;
  /** One decoder pool per memory cap (normally one: the limits' toolMemoryBytes). */
  private readonly pools = new Map<number, DecoderPool>();

  constructor(config: Pick<Environment, 'tools' | 'path' | 'decoderProcesses' | 'decodesPerProcess'>) {
    this.paths = { ...config.tools };
    this.searchPath = config.path;
    this.decodesPerProcess = config.decodesPerProcess ?? DEFAULT_DECODES_PER_PROCESS;
    this.decoderProcesses = defaultDecoderProcesses(config.decoderProcesses, this.decodesPerProcess);
  }

  /** The tool's absolute path when it can be run, else null (an optional tool is missing). */
  find(name: ToolName): string | null {
    return findTool(this.paths[name], this.searchPath);
  }

  /**
   * The stay-open prober's path, or null to run ffprobe per file: `avprobe` when set (`off`
   * disables it), else the bootstrap's build while ffprobe is the system's (decision 245).
   */
  avprobeBinary(): string | null {
    const setting = this.paths.avprobe;
    if (setting === 'off') return null;
    if (setting) return findAvprobe(setting);
    return this.paths.ffprobe === 'ffprobe' ? findAvprobe(undefined) : null;
  }

  /** The decoder pool for decodes under these limits, made on first use (children start on demand). */
  decoders(limits: Pick<MediaLimits, 'toolMemoryBytes'> = DEFAULT_MEDIA_LIMITS): DecoderPool {
    let pool = this.pools.get(limits.toolMemoryBytes);
    if (!pool) {
      pool = new DecoderPool({
        processes: this.decoderProcesses,
        perProcess: this.decodesPerProcess,
        memoryBytes: limits.toolMemoryBytes,
      });
      this.pools.set(limits.toolMemoryBytes, pool);
    }
    return pool;
  }

  /** Ends the decoder processes (a later decode starts new ones). */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}
