import type { FloatImageHeader } from '@montu/domain';
import type { ProcessingOptions } from '../processing/pipeline.js';
import { bakedLut, colourViews, type ColourSettings, type ColourViews } from './lut.js';
import type { MediaTools } from '../processing/tools/media-tools.js';

/**
 * The colour-managed viewer's server side (decision 148): the displays/views a viewer may pick and
 * their baked LUTs. Built from the very options the media pipeline renders thumbnails and web
 * images with (`$OCIO`, MONTU_OCIO_DISPLAY/VIEW, the tone map), so both show the same view.
 */
export class ColourService {
  private readonly settings: ColourSettings;

  constructor(processing: ProcessingOptions, cacheDir: string, tools: MediaTools) {
    this.settings = {
      tools,
      ...(processing.ocio ? { ocio: processing.ocio } : {}),
      ...(processing.toneMap ? { toneMap: processing.toneMap } : {}),
      ...(processing.limits ? { limits: processing.limits } : {}),
      cacheDir,
    };
  }

  views(): Promise<ColourViews> {
    return colourViews(this.settings);
  }

  /** The MF16 LUT of a display/view; unset ones default to what thumbnails use. */
  lut(want: { display?: string; view?: string }): Promise<{ data: Buffer; header: FloatImageHeader }> {
    return bakedLut(this.settings, want);
  }
}
