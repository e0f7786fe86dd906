/** Projects' and tasks' SQL: the only module of projects/ that uses Kysely. */
import type { Selectable } from 'kysely';
import { nowIso } from '../ids.js';
import type { Db, ProjectTable, TaskTable } from '../db/schema.js';

export async function insertProject(
  db: Db,
  p: { id: string; name: string; settings: Record<string, unknown> },
): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('project')
    .values({
      id: p.id,
      name: p.name,
      settings: JSON.stringify(p.settings),
      created_at: now,
      updated_at: now,
    })
    .execute();
}

export function projectRow(db: Db, id: string): Promise<Selectable<ProjectTable> | undefined> {
  return db.selectFrom('project').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every project, or those of `ids`, by id. */
export function projectRows(db: Db, ids?: string[]): Promise<Selectable<ProjectTable>[]> {
  let q = db.selectFrom('project').selectAll();
  if (ids) q = q.where('id', 'in', ids.length ? ids : ['']);
  return q.orderBy('id').execute();
}

export async function updateProjectRow(
  db: Db,
  id: string,
  p: { name: string; settings: Record<string, unknown> },
): Promise<void> {
  await db
    .updateTable('project')
    .set({ name: p.name, settings: JSON.stringify(p.settings), updated_at: nowIso() })
    .where('id', '=', id)
    .execute();
}

export async function updateProjectSettings(
  db: Db,
  id: string,
  settings: Record<string, unknown>,
): Promise<void> {
  await db
    .updateTable('project')
    .set({ settings: JSON.stringify(settings), updated_at: nowIso() })
    .where('id', '=', id)
    .execute();
}

export function taskRows(db: Db, projectId: string): Promise<Selectable<TaskTable>[]> {
  return db.selectFrom('task').selectAll().where('project_id', '=', projectId).orderBy('id').execute();
}

export function taskRow(
  db: Db,
  projectId: string,
  taskId: string,
): Promise<Selectable<TaskTable> | undefined> {
  return db
    .selectFrom('task')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', taskId)
    .executeTakeFirst();
}

/** Up to two projects holding a task id (two: the id is ambiguous). */
export async function projectsOfTask(db: Db, taskId: string): Promise<string[]> {
  const rows = await db.selectFrom('task').select('project_id').where('id', '=', taskId).limit(2).execute();
  return rows.map((r) => r.project_id);
}

/** Inserts the project and task unless they exist (idempotent, safe under concurrency). */
export async function insertTaskIfMissing(
  db: Db,
  projectId: string,
  task: {
    id: string;
    episode: string | null;
    sequence: string | null;
    shot: string | null;
    step: string | null;
  },
): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('project')
    .values({ id: projectId, name: projectId, settings: '{}', created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  await db
    .insertInto('task')
    .values({ project_id: projectId, ...task, created_at: now })
    .onConflict((oc) => oc.columns(['project_id', 'id']).doNothing())
    .execute();
}

/** The task `taskId` in every project that holds it (with `projectIds`, only in those), by project. */
export function tasksWithId(db: Db, taskId: string, projectIds?: string[]): Promise<Selectable<TaskTable>[]> {
  let q = db.selectFrom('task').selectAll().where('id', '=', taskId);
  if (projectIds) q = q.where('project_id', 'in', projectIds);
  return q.orderBy('project_id').execute();
}

/** A project's settings as stored (JSON), or undefined when there is no such project. */
export async function projectSettingsJson(db: Db, projectId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('project')
    .select('settings')
    .where('id', '=', projectId)
    .executeTakeFirst();
  return row?.settings;
}
