/** Which pictures get half-float renditions (decisions 147, 187) and which sequences get them per frame (217). */
import { describe, expect, it } from 'vitest';
import { hasFrameFloats, wantsFloatRendition } from '../src/index.js';

describe('float rendition rule', () => {
  it('stills: scene-linear EXR/TIFF/HDR and integer DPX/TIFF/PNG over 8 bits', () => {
    expect(wantsFloatRendition({ mediaType: 'image', format: 'exr', linear: true })).toBe(true);
    expect(wantsFloatRendition({ mediaType: 'image', format: 'hdr', linear: true })).toBe(true);
    expect(wantsFloatRendition({ mediaType: 'image', format: 'dpx', bitDepth: 10 })).toBe(true);
    expect(wantsFloatRendition({ mediaType: 'image', format: 'png', bitDepth: 16 })).toBe(true);
    expect(wantsFloatRendition({ mediaType: 'image', format: 'png', bitDepth: 8 })).toBe(false);
    expect(wantsFloatRendition({ mediaType: 'image', format: 'jpg', bitDepth: 8 })).toBe(false);
    expect(wantsFloatRendition({ mediaType: 'video', format: 'exr', linear: true })).toBe(false);
  });

  it('sequences: by the metadata of their frames', () => {
    const seq = (metadata: Record<string, unknown>) => ({ mediaType: 'sequence', metadata });
    expect(hasFrameFloats(seq({ format: 'exr', linear: true }))).toBe(true);
    expect(hasFrameFloats(seq({ format: 'dpx', linear: false, bitDepth: 10 }))).toBe(true);
    expect(hasFrameFloats(seq({ format: 'png', bitDepth: 8 }))).toBe(false);
    expect(hasFrameFloats(seq({}))).toBe(false);
    expect(hasFrameFloats({ mediaType: 'image', metadata: { format: 'exr', linear: true } })).toBe(false);
  });
});
