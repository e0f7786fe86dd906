import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Forbidden, NotFound, visibleProjects } from '@montu/core';
import type { AppContext } from '../app-context.js';
import { actorOf, requireInstanceAdmin, requireRole, SESSION_COOKIE } from '../auth.js';
import {
  ApiToken,
  CreatedToken,
  CreateToken,
  CreateUser,
  errors,
  MemberParams,
  Membership,
  ProjectParams,
  SetMembership,
  TokenParams,
  UpdateUser,
  User,
  UserParams,
  UserWithMemberships,
} from '@montu/domain/wire';

type UserParamsT = Static<typeof UserParams>;

/** A user may read and update themselves; instance admins anyone. Others: 404. */
function selfOrAdmin(req: FastifyRequest, userId: string): void {
  if (req.principal.user.isAdmin || req.principal.user.id === userId) return;
  throw new NotFound(`User ${userId} does not exist.`, { userId });
}

export async function userRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { users } = ctx.montu;

  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Users: all (instance admins) or those sharing a project with the caller',
        response: { 200: Type.Array(User) },
      },
    },
    async (req) => {
      const ids = visibleProjects(req.principal);
      if (ids === undefined) return users.listUsers();
      const list = await users.listUsers({ projectIds: ids });
      return list.some((u) => u.id === req.principal.user.id) ? list : [req.principal.user, ...list];
    },
  );

  app.post<{ Body: Static<typeof CreateUser> }>(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user (instance admins)',
        body: CreateUser,
        response: { 201: User, ...errors(400, 403, 409) },
      },
    },
    async (req, reply) => {
      requireInstanceAdmin(req);
      const user = await users.createUser(req.body, { actor: actorOf(req) });
      return reply.code(201).send(user);
    },
  );

  app.get<{ Params: UserParamsT }>(
    '/users/:userId',
    {
      schema: {
        tags: ['users'],
        summary: 'One user with memberships',
        params: UserParams,
        response: { 200: UserWithMemberships, ...errors(404) },
      },
    },
    async (req) => {
      selfOrAdmin(req, req.params.userId);
      const user = await users.getUser(req.params.userId);
      return { ...user, memberships: await users.listMemberships(user.id) };
    },
  );

  app.patch<{ Params: UserParamsT; Body: Static<typeof UpdateUser> }>(
    '/users/:userId',
    {
      schema: {
        tags: ['users'],
        summary: 'Update a user (themselves: name, email, password; instance admins: also isAdmin, disabled)',
        params: UserParams,
        body: UpdateUser,
        response: { 200: User, ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      selfOrAdmin(req, req.params.userId);
      if (
        !req.principal.user.isAdmin &&
        (req.body.isAdmin !== undefined || req.body.disabled !== undefined)
      ) {
        throw new Forbidden('Only instance administrators change isAdmin or disabled.');
      }
      const self = req.params.userId === req.principal.user.id;
      const sessionId = req.principal.via === 'session' ? req.cookies[SESSION_COOKIE] : undefined;
      return users.updateUser(req.params.userId, req.body, {
        actor: actorOf(req),
        requireCurrentPassword: self,
        keep: self
          ? {
              ...(sessionId ? { sessionId } : {}),
              ...(req.principal.tokenId ? { tokenId: req.principal.tokenId } : {}),
            }
          : {},
      });
    },
  );

  app.delete<{ Params: UserParamsT }>(
    '/users/:userId',
    {
      schema: {
        tags: ['users'],
        summary: 'Delete a user (instance admins)',
        params: UserParams,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (req, reply) => {
      requireInstanceAdmin(req);
      if (req.params.userId === req.principal.user.id) throw new Forbidden('You cannot delete yourself.');
      await users.deleteUser(req.params.userId, { actor: actorOf(req) });
      return reply.code(204).send();
    },
  );

  // ------------------------------------------------------------ memberships

  app.get<{ Params: Static<typeof ProjectParams> }>(
    '/projects/:projectId/members',
    {
      schema: {
        tags: ['users'],
        summary: 'Members of a project',
        params: ProjectParams,
        response: { 200: Type.Array(Membership), ...errors(404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'artist');
      return users.listMembers(req.params.projectId);
    },
  );

  app.put<{ Params: Static<typeof MemberParams>; Body: Static<typeof SetMembership> }>(
    '/projects/:projectId/members/:userId',
    {
      schema: {
        tags: ['users'],
        summary: 'Add a member or change their role (project admins)',
        params: MemberParams,
        body: SetMembership,
        response: { 200: Membership, ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'admin');
      return users.setMembership(req.params.projectId, req.params.userId, req.body.role, {
        actor: actorOf(req),
      });
    },
  );

  app.delete<{ Params: Static<typeof MemberParams> }>(
    '/projects/:projectId/members/:userId',
    {
      schema: {
        tags: ['users'],
        summary: 'Remove a member (project admins)',
        params: MemberParams,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (req, reply) => {
      requireRole(req, req.params.projectId, 'admin');
      await users.removeMembership(req.params.projectId, req.params.userId, { actor: actorOf(req) });
      return reply.code(204).send();
    },
  );

  // ------------------------------------------------------------ tokens

  const requireRealUser = (req: FastifyRequest) => {
    if (req.principal.via === 'local')
      throw new Forbidden('Tokens need a real user; the server runs with --no-auth.');
  };

  app.get(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Your API tokens (never the secrets)',
        response: { 200: Type.Array(ApiToken) },
      },
    },
    async (req) => (req.principal.via === 'local' ? [] : users.listTokens(req.principal.user.id)),
  );

  app.post<{ Body: Static<typeof CreateToken> }>(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token; the token is in this response only',
        body: CreateToken,
        response: { 201: CreatedToken, ...errors(400, 403) },
      },
    },
    async (req, reply) => {
      requireRealUser(req);
      if (req.body.actForOthers) requireInstanceAdmin(req);
      const created = await users.createToken(req.principal.user.id, req.body, { actor: actorOf(req) });
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.post<{ Params: UserParamsT; Body: Static<typeof CreateToken> }>(
    '/users/:userId/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary:
          "Create an API token for a user, e.g. a pipeline's service user (instance admins); the token is in this response only",
        params: UserParams,
        body: CreateToken,
        response: { 201: CreatedToken, ...errors(400, 403, 404) },
      },
    },
    async (req, reply) => {
      requireInstanceAdmin(req);
      const created = await users.createToken(req.params.userId, req.body, { actor: actorOf(req) });
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.delete<{ Params: Static<typeof TokenParams> }>(
    '/tokens/:tokenId',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Revoke one of your tokens (instance admins: anyone’s)',
        params: TokenParams,
        response: { 200: ApiToken, ...errors(404) },
      },
    },
    async (req) => {
      requireRealUser(req);
      return users.revokeToken(
        req.params.tokenId,
        req.principal.user.isAdmin ? {} : { userId: req.principal.user.id },
      );
    },
  );
}
