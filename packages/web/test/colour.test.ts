import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEWER_COLOUR, hasFloatRendition, resolveView } from '../src/lib/colour.js';

const views = {
  displays: [
    {
      name: 'sRGB',
      isDefault: true,
      views: [
        { name: 'Standard', isDefault: true },
        { name: 'Quarter Power', isDefault: false },
      ],
    },
    { name: 'Raw', isDefault: false, views: [{ name: 'Linear', isDefault: true }] },
  ],
  // The thumbnails' view need not be the config's default view (MONTU_OCIO_VIEW).
  default: { display: 'sRGB', view: 'Quarter Power' },
};

describe('the colour-managed viewer’s view', () => {
  it('starts on the thumbnails’ display/view', () => {
    expect(resolveView(views, DEFAULT_VIEWER_COLOUR)).toEqual({ display: 'sRGB', view: 'Quarter Power' });
    expect(resolveView(views, { display: 'sRGB', view: null })).toEqual(views.default);
  });

  it('takes a chosen display/view the server has; a display alone gets its default view', () => {
    expect(resolveView(views, { display: 'sRGB', view: 'Standard' })).toEqual({
      display: 'sRGB',
      view: 'Standard',
    });
    expect(resolveView(views, { display: 'Raw', view: null })).toEqual({ display: 'Raw', view: 'Linear' });
    expect(resolveView(views, { display: 'Raw', view: 'Standard' })).toEqual({
      display: 'Raw',
      view: 'Linear',
    });
  });

  it('falls back to the thumbnails’ view for names the server does not have', () => {
    expect(resolveView(views, { display: 'P3', view: 'Standard' })).toEqual(views.default);
  });

  it('uses the float path only for items with a web_float file', () => {
    expect(hasFloatRendition({ files: [{ role: 'web' }, { role: 'web_float' }] })).toBe(true);
    expect(hasFloatRendition({ files: [{ role: 'web' }, { role: 'thumbnail' }] })).toBe(false);
  });
});
