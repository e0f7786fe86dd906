import {
  createHash,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';
import { Conflict, Forbidden, MontuError, NotFound, TOKEN_MAX_DAYS, ValidationError } from '@montu/domain';
import { newId, nowIso } from '../ids.js';
import { isUniqueViolation, transaction } from '../db/connect.js';
import {
  countUserRows,
  deleteMembership,
  deleteSession,
  deleteUserRows,
  deleteUserSessions,
  insertMembership,
  insertSession,
  insertToken,
  insertUser,
  memberRows,
  membershipRole,
  membershipRows,
  passwordHashOf,
  projectExists,
  revokeUserTokens,
  sessionRow,
  setTokenLastUsed,
  setTokenRevoked,
  tokenRow,
  tokenRowByHash,
  tokenRows,
  updateMembershipRole,
  updateUserRow,
  userRow,
  userRowByUsername,
  userRows,
  type TokenRow,
  type UserChanges,
  type UserRow,
} from './user-queries.js';
import { assertProjectId } from '@montu/domain';
import { ROLES, type Role } from '@montu/domain';
import type { ServiceContext } from '../context.js';
import { recordHistory } from '../history/history-service.js';

export interface User {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  /** Instance administrator: admin of every project, manages users. */
  isAdmin: boolean;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Membership {
  projectId: string;
  userId: string;
  role: Role;
  createdAt: string;
}

export interface ApiTokenInfo {
  id: string;
  userId: string;
  name: string;
  /** The first characters of the token, to recognise it in a list. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  /**
   * A pipeline token: it may record other people as author, submitter or approver (its user's
   * role still decides what it may do). Only instance admins make them (docs/auth.md).
   */
  actForOthers: boolean;
}

/** Who is making a request, with the role they hold in each project. */
export interface Principal {
  user: User;
  memberships: Membership[];
  /** How they proved it. */
  via: 'token' | 'session' | 'local';
  tokenId?: string;
  /** The token's name, to say in history which token acted. */
  tokenName?: string;
  /** A pipeline token (`ApiTokenInfo.actForOthers`). */
  actForOthers?: boolean;
  /** For sessions: the value the CSRF header must carry on unsafe requests. */
  csrfToken?: string;
}

export interface CreateUserInput {
  username: string;
  displayName?: string;
  email?: string | null;
  password?: string;
  isAdmin?: boolean;
}

export interface UpdateUserInput {
  displayName?: string;
  email?: string | null;
  password?: string;
  /** The present password: required when people change their own (`requireCurrentPassword`). */
  currentPassword?: string;
  isAdmin?: boolean;
  disabled?: boolean;
}

const TOKEN_PREFIX = 'montu_';
/** The longest a token may be made to last: ten years (a token that never expires: leave both out). */
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;
/**
 * A token's last-use stamp is advisory: a database locked by another process or a full disk
 * must not turn every authenticated read (or the DELETE that frees space) into an error.
 */
function ignoreWhenUnwritable(e: unknown): void {
  const code = (e as { code?: unknown } | null)?.code;
  if (code !== 'database_busy' && code !== 'insufficient_storage') throw e;
}

/** Writing last_used_at on every request would turn reads into writes; once a minute is enough. */
const LAST_USED_GRANULARITY_MS = 60_000;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export function unauthorized(message: string): MontuError {
  return new MontuError('unauthorized', message);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `scrypt$N$r$p$salt$hash` (base64url parts): self-describing, so parameters can grow later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: 128 * N * r * 2 });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

let standIn: Promise<string> | undefined;
/** A hash of a random password with today's parameters, verified against for unknown users. */
function standInHash(): Promise<string> {
  standIn ??= hashPassword(randomBytes(24).toString('base64url'));
  return standIn;
}

function userFromRow(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    email: r.email,
    isAdmin: Number(r.is_admin) === 1,
    disabled: Number(r.disabled) === 1,
    hasPassword: r.password_hash !== null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function tokenFromRow(r: TokenRow): ApiTokenInfo {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    actForOthers: Number(r.act_for_others) === 1,
  };
}

function assertUsername(v: unknown): string {
  if (typeof v !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$/.test(v)) {
    throw new ValidationError('username must be 1-64 letters, digits, ".", "_", "@" or "-".', {
      field: 'username',
    });
  }
  return v.toLowerCase();
}

function assertPassword(v: unknown): string {
  if (typeof v !== 'string' || v.length < 8 || v.length > 1024) {
    throw new ValidationError('password must be 8 to 1024 characters.', { field: 'password' });
  }
  return v;
}

function assertRole(v: unknown): Role {
  if (typeof v === 'string' && (ROLES as readonly string[]).includes(v)) return v as Role;
  throw new ValidationError(`role must be one of ${ROLES.join(', ')}.`, { field: 'role' });
}

function optionalEmail(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || v.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(v)) {
    throw new ValidationError('email is not a valid address.', { field: 'email' });
  }
  return v;
}

function displayName(v: unknown, fallback: string): string {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' || v.trim().length === 0 || v.length > 200) {
    throw new ValidationError('displayName must be 1 to 200 characters.', { field: 'displayName' });
  }
  return v.trim();
}

/** The role a principal holds in a project: instance admins are admins everywhere. */
export function roleIn(principal: Principal, projectId: string): Role | null {
  if (principal.user.isAdmin) return 'admin';
  return principal.memberships.find((m) => m.projectId === projectId)?.role ?? null;
}

/**
 * Whether a principal may record someone else as author, submitter or approver: instance admins
 * (and `--no-auth`'s local user) and pipeline tokens. Others name only themselves.
 */
export function mayActForOthers(principal: Principal): boolean {
  return principal.user.isAdmin || principal.actForOthers === true;
}

/**
 * Who really acted, as history names them after "via": the username, and the token's name when
 * a token was used (`pipeline (publish-hook)`).
 */
export function principalLabel(principal: Principal): string {
  return principal.tokenName !== undefined
    ? `${principal.user.username} (${principal.tokenName})`
    : principal.user.username;
}

/** Projects a principal may see; undefined means all (instance admins). */
export function visibleProjects(principal: Principal): string[] | undefined {
  return principal.user.isAdmin ? undefined : principal.memberships.map((m) => m.projectId);
}

/** Users, project memberships, API tokens and login sessions. */
export class UserService {
  constructor(private readonly ctx: ServiceContext) {}

  // ------------------------------------------------------------ users

  async createUser(input: CreateUserInput, options: { actor?: string } = {}): Promise<User> {
    const username = assertUsername(input.username);
    const now = nowIso();
    const id = newId();
    const passwordHash =
      input.password !== undefined ? await hashPassword(assertPassword(input.password)) : null;
    try {
      await transaction(this.ctx.db, async (trx) => {
        await insertUser(trx, {
          id,
          username,
          display_name: displayName(input.displayName, username),
          email: optionalEmail(input.email),
          password_hash: passwordHash,
          is_admin: input.isAdmin ? 1 : 0,
          disabled: 0,
          created_at: now,
          updated_at: now,
        });
        await recordHistory(trx, {
          actor: options.actor ?? 'system',
          action: 'user.created',
          projectId: null,
          subjectType: 'user',
          subjectId: id,
          to: username,
        });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new Conflict(`User ${username} already exists.`, { username });
      throw e;
    }
    return this.getUser(id);
  }

  async getUser(id: string): Promise<User> {
    const row = await userRow(this.ctx.db, String(id));
    if (!row) throw new NotFound(`User ${id} does not exist.`, { userId: id });
    return userFromRow(row);
  }

  async getUserByUsername(username: string): Promise<User> {
    const row = await userRowByUsername(this.ctx.db, String(username).toLowerCase());
    if (!row) throw new NotFound(`User ${username} does not exist.`, { username });
    return userFromRow(row);
  }

  /** All users, or (with `projectIds`) the members of those projects. */
  async listUsers(options: { projectIds?: string[] } = {}): Promise<User[]> {
    if (options.projectIds?.length === 0) return [];
    return (await userRows(this.ctx.db, options.projectIds)).map(userFromRow);
  }

  async countUsers(): Promise<number> {
    return countUserRows(this.ctx.db);
  }

  /**
   * Updates a user. A new password ends every other way in: the user's login sessions and API
   * tokens, except the session or token making the change (`keep`). People changing their own
   * password give the present one (`requireCurrentPassword`): a stolen session must not be
   * enough to lock the owner out.
   */
  async updateUser(
    id: string,
    patch: UpdateUserInput,
    options: {
      actor?: string;
      requireCurrentPassword?: boolean;
      keep?: { sessionId?: string; tokenId?: string };
    } = {},
  ): Promise<User> {
    const current = await this.getUser(id);
    if (patch.password !== undefined && options.requireCurrentPassword) {
      if (typeof patch.currentPassword !== 'string' || patch.currentPassword === '')
        throw new ValidationError('currentPassword is required to change your password.', {
          field: 'currentPassword',
        });
      const hash = await passwordHashOf(this.ctx.db, id);
      if (!hash || !(await verifyPassword(patch.currentPassword, hash)))
        throw new Forbidden('The current password is not right; the password was not changed.', {
          field: 'currentPassword',
        });
    }
    const set: UserChanges = { updated_at: nowIso() };
    if (patch.displayName !== undefined)
      set.display_name = displayName(patch.displayName, current.displayName);
    if (patch.email !== undefined) set.email = optionalEmail(patch.email);
    if (patch.password !== undefined) set.password_hash = await hashPassword(assertPassword(patch.password));
    if (patch.isAdmin !== undefined) set.is_admin = patch.isAdmin ? 1 : 0;
    if (patch.disabled !== undefined) set.disabled = patch.disabled ? 1 : 0;
    await transaction(this.ctx.db, async (trx) => {
      await updateUserRow(trx, id, set);
      // A new password or a disabled account ends every login session (but the one changing it),
      // and a new password every API token (but the one changing it).
      if (patch.password !== undefined || patch.disabled) {
        const keep =
          options.keep?.sessionId && !patch.disabled ? sha256Hex(options.keep.sessionId) : undefined;
        await deleteUserSessions(trx, id, keep);
      }
      if (patch.password !== undefined)
        await revokeUserTokens(trx, id, nowIso(), options.keep?.tokenId || undefined);
      await recordHistory(trx, {
        actor: options.actor ?? 'system',
        action: 'user.updated',
        projectId: null,
        subjectType: 'user',
        subjectId: id,
        data: { fields: Object.keys(patch).filter((k) => k !== 'currentPassword') },
      });
    });
    return this.getUser(id);
  }

  async deleteUser(id: string, options: { actor?: string } = {}): Promise<void> {
    const user = await this.getUser(id);
    await transaction(this.ctx.db, async (trx) => {
      await deleteUserRows(trx, id);
      await recordHistory(trx, {
        actor: options.actor ?? 'system',
        action: 'user.deleted',
        projectId: null,
        subjectType: 'user',
        subjectId: id,
        from: user.username,
      });
    });
  }

  /** Checks a username and password; the same error for every failure, so names cannot be probed. */
  async verifyLogin(username: string, password: string): Promise<User> {
    const row = await userRowByUsername(this.ctx.db, String(username ?? '').toLowerCase());
    // The password is hashed whether or not the user exists (against a stand-in hash when not),
    // so how long a refusal takes does not tell whether a username is taken.
    const matches = await verifyPassword(
      typeof password === 'string' ? password : '',
      row?.password_hash ?? (await standInHash()),
    );
    const ok =
      row !== undefined &&
      row.password_hash !== null &&
      Number(row.disabled) === 0 &&
      typeof password === 'string' &&
      matches;
    if (!ok || !row) throw unauthorized('Wrong username or password.');
    return userFromRow(row);
  }

  // ------------------------------------------------------------ memberships

  async setMembership(
    projectId: string,
    userId: string,
    role: Role,
    options: { actor?: string } = {},
  ): Promise<Membership> {
    const pid = assertProjectId(projectId);
    const r = assertRole(role);
    await this.getUser(userId);
    if (!(await projectExists(this.ctx.db, pid)))
      throw new NotFound(`Project ${pid} does not exist.`, { projectId: pid });
    const now = nowIso();
    await transaction(this.ctx.db, async (trx) => {
      const existing = await membershipRole(trx, pid, userId);
      if (existing !== undefined) await updateMembershipRole(trx, pid, userId, r);
      else await insertMembership(trx, { project_id: pid, user_id: userId, role: r, created_at: now });
      await recordHistory(trx, {
        actor: options.actor ?? 'system',
        action: 'membership.set',
        projectId: pid,
        subjectType: 'user',
        subjectId: userId,
        from: existing ?? null,
        to: r,
      });
    });
    return (await this.listMemberships(userId)).find((m) => m.projectId === pid)!;
  }

  async removeMembership(projectId: string, userId: string, options: { actor?: string } = {}): Promise<void> {
    if (!(await deleteMembership(this.ctx.db, projectId, userId))) {
      throw new NotFound(`User ${userId} is not a member of ${projectId}.`, { projectId, userId });
    }
    await recordHistory(this.ctx.db, {
      actor: options.actor ?? 'system',
      action: 'membership.removed',
      projectId,
      subjectType: 'user',
      subjectId: userId,
    });
  }

  async listMemberships(userId: string): Promise<Membership[]> {
    const rows = await membershipRows(this.ctx.db, userId);
    return rows.map((r) => ({
      projectId: r.project_id,
      userId: r.user_id,
      role: r.role as Role,
      createdAt: r.created_at,
    }));
  }

  async listMembers(projectId: string): Promise<Array<Membership & { username: string }>> {
    const rows = await memberRows(this.ctx.db, projectId);
    return rows.map((r) => ({
      projectId: r.project_id,
      userId: r.user_id,
      role: r.role as Role,
      createdAt: r.created_at,
      username: r.username,
    }));
  }

  // ------------------------------------------------------------ API tokens

  /**
   * Makes a token; the secret is returned here only, the database keeps its sha256. Recorded in
   * the history log (who made it, for whom, whether it may act for others).
   */
  async createToken(
    userId: string,
    input: { name: string; expiresAt?: string | null; expiresInDays?: number; actForOthers?: boolean },
    options: { actor?: string } = {},
  ): Promise<{ token: string; info: ApiTokenInfo }> {
    await this.getUser(userId);
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!name || name.length > 100)
      throw new ValidationError('A token needs a name of 1 to 100 characters.', { field: 'name' });
    let expiresAt: string | null = null;
    if (input.expiresInDays !== undefined) {
      if (
        typeof input.expiresInDays !== 'number' ||
        !Number.isFinite(input.expiresInDays) ||
        input.expiresInDays <= 0 ||
        input.expiresInDays > TOKEN_MAX_DAYS
      ) {
        throw new ValidationError(`expiresInDays must be a number of days from 0 to ${TOKEN_MAX_DAYS}.`, {
          field: 'expiresInDays',
          max: TOKEN_MAX_DAYS,
        });
      }
      expiresAt = new Date(Date.now() + input.expiresInDays * 86_400_000).toISOString();
    } else if (input.expiresAt) {
      const d = new Date(input.expiresAt);
      const ms = d.getTime();
      if (Number.isNaN(ms)) {
        throw new ValidationError('expiresAt must be an ISO-8601 time.', { field: 'expiresAt' });
      }
      if (ms <= Date.now() || ms > Date.now() + TOKEN_MAX_DAYS * 86_400_000) {
        throw new ValidationError(`expiresAt must be in the future, at most ${TOKEN_MAX_DAYS} days away.`, {
          field: 'expiresAt',
          max: TOKEN_MAX_DAYS,
        });
      }
      expiresAt = d.toISOString();
    }
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const id = newId();
    await transaction(this.ctx.db, async (trx) => {
      await insertToken(trx, {
        id,
        user_id: userId,
        name,
        token_hash: sha256Hex(token),
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
        created_at: nowIso(),
        last_used_at: null,
        expires_at: expiresAt,
        revoked_at: null,
        act_for_others: input.actForOthers ? 1 : 0,
      });
      await recordHistory(trx, {
        actor: options.actor ?? 'system',
        action: 'token.created',
        projectId: null,
        subjectType: 'user',
        subjectId: userId,
        to: name,
        data: { tokenId: id, actForOthers: input.actForOthers === true, expiresAt },
      });
    });
    return { token, info: await this.getToken(id) };
  }

  async getToken(id: string): Promise<ApiTokenInfo> {
    const row = await tokenRow(this.ctx.db, String(id));
    if (!row) throw new NotFound(`Token ${id} does not exist.`, { tokenId: id });
    return tokenFromRow(row);
  }

  async listTokens(userId: string): Promise<ApiTokenInfo[]> {
    return (await tokenRows(this.ctx.db, userId)).map(tokenFromRow);
  }

  /** Revokes a token; with `userId`, only one of that user's (others answer not found). */
  async revokeToken(tokenId: string, options: { userId?: string } = {}): Promise<ApiTokenInfo> {
    const token = await this.getToken(tokenId);
    if (options.userId !== undefined && token.userId !== options.userId) {
      throw new NotFound(`Token ${tokenId} does not exist.`, { tokenId });
    }
    if (!token.revokedAt) {
      await setTokenRevoked(this.ctx.db, tokenId, nowIso());
    }
    return this.getToken(tokenId);
  }

  /** The principal a bearer token stands for; expired, revoked or unknown tokens are unauthorized. */
  async authenticateToken(token: string): Promise<Principal> {
    if (typeof token !== 'string' || !token.startsWith(TOKEN_PREFIX) || token.length > 200) {
      throw unauthorized('The API token is not valid.');
    }
    const row = await tokenRowByHash(this.ctx.db, sha256Hex(token));
    const now = Date.now();
    if (!row || row.revoked_at !== null)
      throw unauthorized('The API token is not valid (unknown or revoked).');
    if (row.expires_at !== null && Date.parse(row.expires_at) <= now)
      throw unauthorized('The API token has expired.');
    if (row.last_used_at === null || now - Date.parse(row.last_used_at) > LAST_USED_GRANULARITY_MS) {
      await setTokenLastUsed(this.ctx.db, row.id, new Date(now).toISOString()).catch(ignoreWhenUnwritable);
    }
    const principal = await this.principalFor(row.user_id, 'token');
    principal.tokenId = row.id;
    principal.tokenName = row.name;
    if (Number(row.act_for_others) === 1) principal.actForOthers = true;
    return principal;
  }

  // ------------------------------------------------------------ sessions

  /** Starts a login session; the session id is returned here only (the database keeps its hash). */
  async createSession(
    userId: string,
    options: { ttlSeconds?: number } = {},
  ): Promise<{ sessionId: string; csrfToken: string; expiresAt: string }> {
    await this.getUser(userId);
    const sessionId = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + (options.ttlSeconds ?? 7 * 86_400) * 1000).toISOString();
    await insertSession(this.ctx.db, {
      id_hash: sha256Hex(sessionId),
      user_id: userId,
      csrf_token: csrfToken,
      created_at: now.toISOString(),
      expires_at: expiresAt,
    });
    return { sessionId, csrfToken, expiresAt };
  }

  async authenticateSession(sessionId: string): Promise<Principal> {
    if (typeof sessionId !== 'string' || sessionId.length > 200)
      throw unauthorized('The session is not valid.');
    const row = await sessionRow(this.ctx.db, sha256Hex(sessionId));
    if (!row) throw unauthorized('The session is not valid; log in again.');
    if (Date.parse(row.expires_at) <= Date.now()) {
      await deleteSession(this.ctx.db, row.id_hash);
      throw unauthorized('The session has expired; log in again.');
    }
    const principal = await this.principalFor(row.user_id, 'session');
    principal.csrfToken = row.csrf_token;
    return principal;
  }

  async endSession(sessionId: string): Promise<void> {
    await deleteSession(this.ctx.db, sha256Hex(String(sessionId)));
  }

  /** A principal for a user (disabled users are unauthorized). */
  async principalFor(userId: string, via: Principal['via']): Promise<Principal> {
    const row = await userRow(this.ctx.db, userId);
    if (!row || Number(row.disabled) === 1)
      throw unauthorized('This account is disabled or no longer exists.');
    return { user: userFromRow(row), memberships: await this.listMemberships(userId), via };
  }

  /**
   * First run: when no user exists, creates an instance admin with a generated password and an
   * API token, and returns both (they are shown once). Returns null when users already exist.
   */
  async bootstrapAdmin(
    options: { username?: string } = {},
  ): Promise<{ user: User; password: string; token: string } | null> {
    if ((await this.countUsers()) > 0) return null;
    const password = randomBytes(18).toString('base64url');
    let user: User;
    try {
      user = await this.createUser({
        username: options.username ?? 'admin',
        displayName: 'Administrator',
        password,
        isAdmin: true,
      });
    } catch (e) {
      if (e instanceof Conflict) return null; // another process bootstrapped at the same moment
      throw e;
    }
    const { token } = await this.createToken(user.id, { name: 'first-run admin token' });
    return { user, password, token };
  }
}
