/** The project routes' contract: projects, tasks, statistics, the review queue, clean-up. */
import { Type } from '@sinclair/typebox';
import { ProjectSettings, StatusInput } from './components.js';
import { Closed, component, Enum, MapOf, Nullable } from './schema.js';

export const CreateProject = Closed(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    settings: Type.Optional(ProjectSettings),
  },
  { title: 'CreateProject' },
);

export const UpdateProject = Closed(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    settings: Type.Optional(ProjectSettings),
  },
  { title: 'UpdateProject' },
);

export const CleanupOldMedia = Closed(
  {
    daysOld: Type.Number({ minimum: 0 }),
    dryRun: Type.Optional(Type.Boolean({ default: true })),
    action: Type.Optional(Enum(['archive', 'delete'] as const)),
  },
  { title: 'CleanupOldMedia' },
);

export const TaskQuery = Type.Object({ projectId: Type.Optional(Type.String({ maxLength: 64 })) });
export const TaskMediaQuery = Type.Object({
  projectId: Type.Optional(Type.String({ maxLength: 64 })),
  version: Type.Optional(Type.String({ maxLength: 16 })),
});

export const ReviewQueueQuery = Type.Object({
  status: Type.Optional(StatusInput),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
});

export const Statistics = component(
  'Statistics',
  Closed(
    {
      projectId: Nullable(Type.String()),
      totalMedia: Type.Integer(),
      byType: MapOf(Type.Integer(), { description: 'Counts by media type (image, video, audio, sequence)' }),
      byStatus: MapOf(Type.Integer(), {
        description:
          'Counts by status: pending, approved and rejected by those words, other statuses by name',
      }),
      totalSize: Type.Integer({ description: 'Bytes of original files' }),
      authors: Type.Array(Closed({ author: Type.String(), count: Type.Integer() })),
      versions: Closed({
        tasks: Type.Integer(),
        total: Type.Integer(),
        averagePerTask: Type.Number(),
        maxPerTask: Type.Integer(),
      }),
      versionsPerTask: Type.Array(
        Closed({ projectId: Type.String(), taskId: Type.String(), versions: Type.Integer() }),
        {
          description: 'The tasks with the most versions, most first (at most 20)',
        },
      ),
      approvalsByDay: Type.Array(Closed({ date: Type.String(), count: Type.Integer() }), {
        description: 'Approved items by the UTC day of their approval, oldest first',
      }),
    },
    { description: 'Media statistics (archived items not counted)' },
  ),
);
