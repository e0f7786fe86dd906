/**
 * The colour-managed viewer on the wire (issue 22 items 2 and 3, decisions 148 and 186): the
 * displays/views a viewer may pick, and the viewer's colour settings as a live review session
 * carries them (the driver's view, exposure, gamma and channel). The ranges are the domain's
 * (`applySessionPatch` checks them too, for callers that skip the schema).
 */
import { Type } from '@sinclair/typebox';
import { SESSION_EXPOSURE_LIMIT, VIEW_CHANNELS, VIEW_GAMMA_MAX, VIEW_GAMMA_MIN } from '../review-session.js';
import { Closed, component, Enum, Nullable } from './schema.js';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Exposure = Type.Number({
  minimum: -SESSION_EXPOSURE_LIMIT,
  maximum: SESSION_EXPOSURE_LIMIT,
  description: 'Stops, applied in scene-linear before the view',
});
const Gamma = Type.Number({
  minimum: VIEW_GAMMA_MIN,
  maximum: VIEW_GAMMA_MAX,
  description: 'Display gamma after the view (code value^(1/gamma)); 1 shows the view as baked',
});
const Channel = Enum(VIEW_CHANNELS, { description: 'rgb, or one channel (or the luminance) in grey' });

/** The colour a session's followers see: every field, as stored. */
export const SessionColour = Closed(
  {
    display: Type.Union([Name, Type.Null()], { description: "OCIO display; null: the thumbnails' default" }),
    view: Type.Union([Name, Type.Null()], { description: "The display's view; null: its default" }),
    exposure: Exposure,
    gamma: Gamma,
    channel: Channel,
  },
  { title: 'SessionColour', description: "The driver's colour view of a live review session" },
);

/** A change to it: any of the fields; display and view must be the server's (400 naming the choices). */
export const SessionColourPatch = Closed(
  {
    display: Type.Optional(Type.Union([Name, Type.Null()])),
    view: Type.Optional(Type.Union([Name, Type.Null()])),
    exposure: Type.Optional(Exposure),
    gamma: Type.Optional(Gamma),
    channel: Type.Optional(Channel),
  },
  { title: 'SessionColourPatch' },
);

export const ColourView = Closed({ name: Type.String(), isDefault: Type.Boolean() }, { title: 'ColourView' });

export const ColourDisplay = Closed(
  { name: Type.String(), isDefault: Type.Boolean(), views: Type.Array(ColourView) },
  { title: 'ColourDisplay' },
);

export const ColourViews = component(
  'ColourViews',
  Closed(
    {
      transform: Enum(['ocio', 'builtin'] as const, {
        description: 'ocio: the $OCIO config through oiiotool; builtin: Montu’s own sRGB/filmic transform',
      }),
      config: Nullable(Type.String({ description: 'The OCIO config’s file name' })),
      displays: Type.Array(ColourDisplay),
      default: Closed(
        { display: Type.String(), view: Type.String() },
        { description: 'The display/view thumbnails and web images are rendered with' },
      ),
    },
    { description: 'Displays and views of the colour-managed viewer' },
  ),
);

export const LutQuery = Type.Object({ display: Type.Optional(Name), view: Type.Optional(Name) });
