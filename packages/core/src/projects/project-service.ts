import { NotFound, ValidationError, Conflict } from '@montu/domain';
import { nowIso } from '../ids.js';
import { projectFromRow, taskFromRow } from '../db/rows.js';
import { isUniqueViolation } from '../db/connect.js';
import { assertProjectId, assertTaskId, parseTaskId } from '@montu/domain';
import type { Project, ProjectSettings, Task } from '@montu/domain';
import { DEFAULT_WORKFLOW, type Workflow } from '@montu/domain';
import type { Db, ServiceContext } from '../context.js';

/** Projects and their tasks. */
export class ProjectService {
  constructor(private readonly ctx: ServiceContext) {}

  async createProject(input: { id: string; name?: string; settings?: ProjectSettings }): Promise<Project> {
    const id = assertProjectId(input.id);
    const now = nowIso();
    try {
      await this.ctx.db
        .insertInto('project')
        .values({
          id,
          name: cleanName(input.name ?? id),
          settings: JSON.stringify(input.settings ?? {}),
          created_at: now,
          updated_at: now,
        })
        .execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw new Conflict(`Project ${id} already exists.`, { projectId: id });
      throw e;
    }
    return this.getProject(id);
  }

  async getProject(id: string): Promise<Project> {
    const row = await this.ctx.db.selectFrom('project').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound(`Project ${id} does not exist.`, { projectId: id });
    return projectFromRow(row);
  }

  async listProjects(options: { ids?: string[] } = {}): Promise<Project[]> {
    let q = this.ctx.db.selectFrom('project').selectAll();
    if (options.ids) {
      if (options.ids.length === 0) return [];
      q = q.where('id', 'in', options.ids);
    }
    return (await q.orderBy('id').execute()).map(projectFromRow);
  }

  async updateProject(id: string, patch: { name?: string; settings?: ProjectSettings }): Promise<Project> {
    const current = await this.getProject(id);
    await this.ctx.db
      .updateTable('project')
      .set({
        name: patch.name !== undefined ? cleanName(patch.name) : current.name,
        settings: JSON.stringify(
          patch.settings !== undefined ? { ...current.settings, ...patch.settings } : current.settings,
        ),
        updated_at: nowIso(),
      })
      .where('id', '=', id)
      .execute();
    return this.getProject(id);
  }

  /** The project's review workflow (its `workflow` setting, or the default one). */
  async workflowOf(projectId: string): Promise<Workflow> {
    const p = await this.getProject(projectId);
    const wf = p.settings['workflow'];
    return isWorkflow(wf) ? wf : DEFAULT_WORKFLOW;
  }

  async listTasks(projectId: string): Promise<Task[]> {
    await this.getProject(projectId);
    const rows = await this.ctx.db
      .selectFrom('task')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('id')
      .execute();
    return rows.map(taskFromRow);
  }

  async getTask(projectId: string, taskId: string): Promise<Task> {
    const row = await this.ctx.db
      .selectFrom('task')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', taskId)
      .executeTakeFirst();
    if (!row)
      throw new NotFound(`Task ${taskId} does not exist in project ${projectId}.`, { projectId, taskId });
    return taskFromRow(row);
  }

  /** The task in every project that holds it (with `projectIds`, only in those), by project. */
  async findTask(taskId: string, options: { projectIds?: string[] } = {}): Promise<Task[]> {
    assertTaskId(taskId);
    if (options.projectIds?.length === 0) return [];
    let q = this.ctx.db.selectFrom('task').selectAll().where('id', '=', taskId);
    if (options.projectIds) q = q.where('project_id', 'in', options.projectIds);
    return (await q.orderBy('project_id').execute()).map(taskFromRow);
  }

  /**
   * The project holding `taskId` when the caller did not say. Task ids are unique within a
   * project; when the same id exists in several projects the caller must name one.
   */
  async resolveTaskProject(taskId: string, projectId?: string): Promise<string> {
    assertTaskId(taskId);
    if (projectId !== undefined) return assertProjectId(projectId);
    const rows = await this.ctx.db
      .selectFrom('task')
      .select('project_id')
      .where('id', '=', taskId)
      .limit(2)
      .execute();
    if (rows.length === 0) throw new NotFound(`Task ${taskId} does not exist.`, { taskId });
    if (rows.length > 1) {
      throw new ValidationError(`Task id ${taskId} exists in more than one project: pass projectId.`, {
        taskId,
      });
    }
    return rows[0]!.project_id;
  }

  /** Creates the project and task on first use (idempotent, safe under concurrency). */
  async ensureTask(db: Db, projectId: string, taskId: string): Promise<void> {
    assertProjectId(projectId);
    assertTaskId(taskId);
    const now = nowIso();
    await db
      .insertInto('project')
      .values({ id: projectId, name: projectId, settings: '{}', created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    await db
      .insertInto('task')
      .values({ project_id: projectId, id: taskId, ...parseTaskId(taskId), created_at: now })
      .onConflict((oc) => oc.columns(['project_id', 'id']).doNothing())
      .execute();
  }
}

function cleanName(name: string): string {
  const n = name.trim();
  if (!n || n.length > 200)
    throw new ValidationError('A project name must be 1–200 characters.', { field: 'name' });
  return n;
}

function isWorkflow(v: unknown): v is Workflow {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Workflow).initial === 'string' &&
    Array.isArray((v as Workflow).transitions)
  );
}
