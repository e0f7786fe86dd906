/** Path parameters shared by several routes. */
import { Type, type Static } from '@sinclair/typebox';
import { Closed } from './schema.js';

export const MediaParams = Closed({ mediaId: Type.String({ maxLength: 64 }) });
export const ProjectParams = Closed({ projectId: Type.String({ maxLength: 64 }) });
export const TaskParams = Closed({ taskId: Type.String({ maxLength: 200 }) });
export const UserParams = Closed({ userId: Type.String({ maxLength: 64 }) });

export type MediaParams = Static<typeof MediaParams>;
export type ProjectParams = Static<typeof ProjectParams>;
export type TaskParams = Static<typeof TaskParams>;
export type UserParams = Static<typeof UserParams>;
