import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { NotFound, visibleProjects } from '@montu/core';
import type { AppContext } from '../app-context.js';
import { actorOf, requireInstanceAdmin, requireRole, scopeOf } from '../auth.js';
import {
  CleanupOldMedia,
  CleanupOldMediaResult,
  CreateProject,
  errors,
  Media,
  Project,
  ProjectParams,
  ReviewQueueQuery,
  Statistics,
  Task,
  TaskMediaQuery,
  TaskParams,
  TaskQuery,
  TaskVersions,
  UpdateProject,
} from '@montu/domain/wire';

type ProjectParamsT = Static<typeof ProjectParams>;
type TaskParamsT = Static<typeof TaskParams>;

export async function projectRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu } = ctx;

  app.get(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'Projects visible to the caller',
        response: { 200: Type.Array(Project) },
      },
    },
    async (req) => {
      const ids = visibleProjects(req.principal);
      return montu.projects.listProjects(ids === undefined ? {} : { ids });
    },
  );

  app.post<{ Body: Static<typeof CreateProject> }>(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'Create a project (instance admins)',
        body: CreateProject,
        response: { 201: Project, ...errors(400, 403, 409) },
      },
    },
    async (req, reply) => {
      requireInstanceAdmin(req);
      return reply.code(201).send(await montu.projects.createProject(req.body));
    },
  );

  app.get<{ Params: ProjectParamsT }>(
    '/projects/:projectId',
    {
      schema: {
        tags: ['projects'],
        summary: 'One project',
        params: ProjectParams,
        response: { 200: Project, ...errors(404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'artist');
      return montu.projects.getProject(req.params.projectId);
    },
  );

  app.patch<{ Params: ProjectParamsT; Body: Static<typeof UpdateProject> }>(
    '/projects/:projectId',
    {
      schema: {
        tags: ['projects'],
        summary:
          'Rename a project or change settings (workflow, defaultFps, movieStartFrame); project admins',
        params: ProjectParams,
        body: UpdateProject,
        response: { 200: Project, ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'admin');
      return montu.projects.updateProject(req.params.projectId, req.body);
    },
  );

  app.get<{ Params: ProjectParamsT }>(
    '/projects/:projectId/tasks',
    {
      schema: {
        tags: ['projects'],
        summary: 'Tasks with parsed episode/sequence/shot/step',
        params: ProjectParams,
        response: { 200: Type.Array(Task), ...errors(404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'artist');
      await montu.projects.getProject(req.params.projectId);
      return montu.projects.listTasks(req.params.projectId);
    },
  );

  app.get<{ Params: ProjectParamsT }>(
    '/projects/:projectId/statistics',
    {
      schema: {
        tags: ['projects'],
        summary: 'Media statistics of a project',
        params: ProjectParams,
        response: { 200: Statistics, ...errors(404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'artist');
      await montu.projects.getProject(req.params.projectId);
      return montu.media.getMediaStatistics({ projectId: req.params.projectId });
    },
  );

  app.get(
    '/statistics',
    {
      schema: {
        tags: ['projects'],
        summary: 'Media statistics across the projects the caller sees',
        response: { 200: Statistics },
      },
    },
    async (req) => montu.media.getMediaStatistics(scopeOf(req)),
  );

  app.get<{ Params: ProjectParamsT; Querystring: Static<typeof ReviewQueueQuery> }>(
    '/projects/:projectId/review',
    {
      schema: {
        tags: ['review'],
        summary: 'Review queue of a project (pending_review unless ?status=), oldest first',
        params: ProjectParams,
        querystring: ReviewQueueQuery,
        response: { 200: Type.Array(Media), ...errors(400, 404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'artist');
      return montu.review.getMediaForReview(req.params.projectId, {
        ...(req.query.status ? { status: req.query.status } : {}),
        ...(req.query.limit ? { limit: req.query.limit } : {}),
      });
    },
  );

  app.post<{ Params: ProjectParamsT; Body: Static<typeof CleanupOldMedia> }>(
    '/projects/:projectId/cleanup',
    {
      schema: {
        tags: ['admin'],
        summary: 'Archive or delete superseded old versions (project admins; dry run by default)',
        params: ProjectParams,
        body: CleanupOldMedia,
        response: { 200: CleanupOldMediaResult, ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'admin');
      return montu.review.cleanupOldMedia(req.params.projectId, {
        daysOld: req.body.daysOld,
        dryRun: req.body.dryRun ?? true,
        ...(req.body.action ? { action: req.body.action } : {}),
        actor: actorOf(req),
      });
    },
  );

  // ------------------------------------------------------------ tasks

  app.get<{ Params: TaskParamsT }>(
    '/tasks/:taskId',
    {
      schema: {
        tags: ['projects'],
        summary: 'The task in each project you can see that holds it (which project a task is in)',
        params: TaskParams,
        response: { 200: Type.Array(Task), ...errors(400) },
      },
    },
    async (req) => montu.projects.findTask(req.params.taskId, scopeOf(req)),
  );

  app.get<{ Params: TaskParamsT; Querystring: Static<typeof TaskQuery> }>(
    '/tasks/:taskId/versions',
    {
      schema: {
        tags: ['media'],
        summary: 'Version names of a task (v001, v002, …)',
        params: TaskParams,
        querystring: TaskQuery,
        response: {
          200: TaskVersions,
          ...errors(400, 404),
        },
      },
    },
    async (req) => {
      const versions = await montu.media.getMediaVersions(req.params.taskId, {
        ...scopeOf(req),
        ...(req.query.projectId ? { projectId: req.query.projectId } : {}),
      });
      return { taskId: req.params.taskId, versions };
    },
  );

  app.get<{ Params: TaskParamsT; Querystring: Static<typeof TaskMediaQuery> }>(
    '/tasks/:taskId/media',
    {
      schema: {
        tags: ['media'],
        summary: 'Media of a task: every version, or one (?version=)',
        params: TaskParams,
        querystring: TaskMediaQuery,
        response: { 200: Type.Array(Media), ...errors(400, 404) },
      },
    },
    async (req) => {
      const items = await montu.media.getMediaByTask(req.params.taskId, req.query.version, {
        ...scopeOf(req),
        ...(req.query.projectId ? { projectId: req.query.projectId } : {}),
      });
      if (req.query.version !== undefined && items.length === 0) {
        throw new NotFound(`Version ${req.query.version} of task ${req.params.taskId} does not exist.`);
      }
      return items;
    },
  );
}
