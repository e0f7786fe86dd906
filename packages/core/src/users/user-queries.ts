/**
 * The SQL of users, project memberships, API tokens and login sessions: the only module of
 * users/ (with login-throttle-queries.ts) that builds queries; user-service.ts decides.
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ApiTokenTable, AppUserTable, Db, MembershipTable, SessionTable } from '../db/schema.js';

export type UserRow = Selectable<AppUserTable>;
export type UserChanges = Updateable<AppUserTable>;
export type TokenRow = Selectable<ApiTokenTable>;
export type MembershipRow = Selectable<MembershipTable>;
export type SessionRow = Selectable<SessionTable>;

// ------------------------------------------------------------ users

export async function insertUser(db: Db, row: Insertable<AppUserTable>): Promise<void> {
  await db.insertInto('app_user').values(row).execute();
}

export function userRow(db: Db, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('app_user').selectAll().where('id', '=', id).executeTakeFirst();
}

export function userRowByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('app_user').selectAll().where('username', '=', username).executeTakeFirst();
}

/** All users, or the members of any of `projectIds`, by username. */
export function userRows(db: Db, projectIds?: string[]): Promise<UserRow[]> {
  let q = db.selectFrom('app_user').selectAll('app_user');
  if (projectIds) {
    const ids = projectIds.length ? projectIds : [''];
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('membership')
          .select('membership.user_id')
          .whereRef('membership.user_id', '=', 'app_user.id')
          .where('membership.project_id', 'in', ids),
      ),
    );
  }
  return q.orderBy('username').execute();
}

export async function countUserRows(db: Db): Promise<number> {
  const r = await db
    .selectFrom('app_user')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function passwordHashOf(db: Db, id: string): Promise<string | null> {
  const row = await db.selectFrom('app_user').select('password_hash').where('id', '=', id).executeTakeFirst();
  return row?.password_hash ?? null;
}

export async function updateUserRow(db: Db, id: string, set: UserChanges): Promise<void> {
  await db.updateTable('app_user').set(set).where('id', '=', id).execute();
}

/** Deletes a user with their sessions, tokens and memberships (call inside a transaction). */
export async function deleteUserRows(db: Db, id: string): Promise<void> {
  await db.deleteFrom('session').where('user_id', '=', id).execute();
  await db.deleteFrom('api_token').where('user_id', '=', id).execute();
  await db.deleteFrom('membership').where('user_id', '=', id).execute();
  await db.deleteFrom('app_user').where('id', '=', id).execute();
}

// ------------------------------------------------------------ memberships

export async function projectExists(db: Db, projectId: string): Promise<boolean> {
  const row = await db.selectFrom('project').select('id').where('id', '=', projectId).executeTakeFirst();
  return row !== undefined;
}

export async function membershipRole(db: Db, projectId: string, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('membership')
    .select('role')
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.role;
}

export async function updateMembershipRole(
  db: Db,
  projectId: string,
  userId: string,
  role: string,
): Promise<void> {
  await db
    .updateTable('membership')
    .set({ role })
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .execute();
}

export async function insertMembership(db: Db, row: MembershipTable): Promise<void> {
  await db.insertInto('membership').values(row).execute();
}

/** Deletes a membership; false when there was none. */
export async function deleteMembership(db: Db, projectId: string, userId: string): Promise<boolean> {
  const res = await db
    .deleteFrom('membership')
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export function membershipRows(db: Db, userId: string): Promise<MembershipRow[]> {
  return db
    .selectFrom('membership')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('project_id')
    .execute();
}

/** A project's members with their usernames, by username. */
export function memberRows(db: Db, projectId: string): Promise<Array<MembershipRow & { username: string }>> {
  return db
    .selectFrom('membership')
    .innerJoin('app_user', 'app_user.id', 'membership.user_id')
    .select([
      'membership.project_id',
      'membership.user_id',
      'membership.role',
      'membership.created_at',
      'app_user.username',
    ])
    .where('membership.project_id', '=', projectId)
    .orderBy('app_user.username')
    .execute();
}

// ------------------------------------------------------------ API tokens

export async function insertToken(db: Db, row: Insertable<ApiTokenTable>): Promise<void> {
  await db.insertInto('api_token').values(row).execute();
}

export function tokenRow(db: Db, id: string): Promise<TokenRow | undefined> {
  return db.selectFrom('api_token').selectAll().where('id', '=', id).executeTakeFirst();
}

export function tokenRowByHash(db: Db, tokenHash: string): Promise<TokenRow | undefined> {
  return db.selectFrom('api_token').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export function tokenRows(db: Db, userId: string): Promise<TokenRow[]> {
  return db.selectFrom('api_token').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
}

export async function setTokenRevoked(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('api_token').set({ revoked_at: at }).where('id', '=', id).execute();
}

/** Revokes every live token of a user but `exceptId`. */
export async function revokeUserTokens(db: Db, userId: string, at: string, exceptId?: string): Promise<void> {
  let q = db
    .updateTable('api_token')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (exceptId) q = q.where('id', '!=', exceptId);
  await q.execute();
}

export async function setTokenLastUsed(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('api_token').set({ last_used_at: at }).where('id', '=', id).execute();
}

// ------------------------------------------------------------ login sessions

export async function insertSession(db: Db, row: SessionTable): Promise<void> {
  await db.insertInto('session').values(row).execute();
}

export function sessionRow(db: Db, idHash: string): Promise<SessionRow | undefined> {
  return db.selectFrom('session').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('session').where('id_hash', '=', idHash).execute();
}

/** Ends every login session of a user but the one whose hash is `exceptHash`. */
export async function deleteUserSessions(db: Db, userId: string, exceptHash?: string): Promise<void> {
  let q = db.deleteFrom('session').where('user_id', '=', userId);
  if (exceptHash) q = q.where('id_hash', '!=', exceptHash);
  await q.execute();
}
