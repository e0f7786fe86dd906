/** The colour-managed viewer's choices (decision 185), apart from the component so they are tested alone. */
import { DEFAULT_SESSION_COLOUR, type SessionColour } from '@montu/domain';
import type { ColourViews } from '../api/index.js';

/** The viewer's colour settings; the channel is the viewer's own (shared with the plain path). */
export type ViewerColour = Omit<SessionColour, 'channel'>;

export const DEFAULT_VIEWER_COLOUR: ViewerColour = {
  display: DEFAULT_SESSION_COLOUR.display,
  view: DEFAULT_SESSION_COLOUR.view,
  exposure: DEFAULT_SESSION_COLOUR.exposure,
  gamma: DEFAULT_SESSION_COLOUR.gamma,
};

/** Float sequences: their paused frame is shown through FloatStage (decision 217). */
export { hasFrameFloats } from '@montu/domain';

/** True when the item has a half-float rendition, so the viewer shows it through FloatStage. */
export function hasFloatRendition(media: { files: ReadonlyArray<{ role: string }> }): boolean {
  return media.files.some((f) => f.role === 'web_float');
}

/**
 * The display/view a viewer shows: the chosen one when the server has it, else the display's
 * default view, else the thumbnails' own (so a picture is never graded twice).
 */
export function resolveView(
  views: Pick<ColourViews, 'displays' | 'default'>,
  colour: Pick<ViewerColour, 'display' | 'view'>,
): { display: string; view: string } {
  const display = views.displays.find((d) => d.name === colour.display);
  if (!display) return views.default;
  const view =
    display.views.find((v) => v.name === colour.view) ??
    (display.name === views.default.display
      ? display.views.find((v) => v.name === views.default.view)
      : undefined) ??
    display.views.find((v) => v.isDefault) ??
    display.views[0];
  return view ? { display: display.name, view: view.name } : views.default;
}
