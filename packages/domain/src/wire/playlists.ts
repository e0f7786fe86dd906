/** The playlist (review session) routes' contract. */
import { Type } from '@sinclair/typebox';
import { MediaSummary } from './components.js';
import { Closed, component, Enum, Nullable } from './schema.js';

export const PlaylistParams = Closed({ playlistId: Type.String({ maxLength: 64 }) });
export const PlaylistItemParams = Closed({
  playlistId: Type.String({ maxLength: 64 }),
  mediaId: Type.String({ maxLength: 64 }),
});
export const PLAYLIST_EXPORT_FORMATS = ['csv', 'html', 'pdf', 'otio', 'zip'] as const;
export const PlaylistExportParams = Closed({
  playlistId: Type.String({ maxLength: 64 }),
  format: Enum(PLAYLIST_EXPORT_FORMATS),
});
export const PlaylistExportQuery = Type.Object({
  onlyPlaylistNotes: Type.Optional(Type.Boolean()),
  frames: Type.Optional(Type.Boolean()),
});

const ReviewDate = Type.String({ maxLength: 10, description: 'Review date YYYY-MM-DD' });

export const CreatePlaylist = Closed(
  {
    name: Type.String({ maxLength: 200 }),
    date: Type.Optional(Nullable(ReviewDate)),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    mediaIds: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })),
  },
  { title: 'CreatePlaylist' },
);

export const UpdatePlaylist = Closed(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    date: Type.Optional(Nullable(ReviewDate)),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { title: 'UpdatePlaylist' },
);

export const AddPlaylistItems = Closed(
  {
    mediaIds: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 1000 }),
    position: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { title: 'AddPlaylistItems' },
);

export const ReorderPlaylist = Closed(
  { mediaIds: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 }) },
  { title: 'ReorderPlaylist' },
);

const PlaylistFields = {
  id: Type.String(),
  projectId: Type.String(),
  name: Type.String(),
  date: Nullable(Type.String({ description: 'Review date YYYY-MM-DD' })),
  owner: Type.String({ description: 'Who made it: with supervisors and admins, may curate it' }),
  description: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
};

export const PlaylistSummary = component(
  'PlaylistSummary',
  Closed({ ...PlaylistFields, itemCount: Type.Integer() }),
);

export const Playlist = component(
  'Playlist',
  Closed(
    {
      ...PlaylistFields,
      items: Type.Array(
        Closed(
          {
            position: Type.Integer(),
            mediaId: Type.String(),
            addedBy: Type.String(),
            addedAt: Type.String(),
            media: MediaSummary,
          },
          { title: 'PlaylistItem' },
        ),
      ),
    },
    { description: 'A playlist with its items in order' },
  ),
);
