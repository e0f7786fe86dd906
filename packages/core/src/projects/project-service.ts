import { checkJsonValue, NotFound, ValidationError, Conflict } from '@montu/domain';
import { projectFromRow, taskFromRow } from '../db/rows.js';
import { isUniqueViolation } from '../db/connect.js';
import { assertProjectId, assertTaskId, parseTaskId } from '@montu/domain';
import type { Project, ProjectSettings, Task } from '@montu/domain';
import { DEFAULT_WORKFLOW, parseMovieStartFrame, type Workflow } from '@montu/domain';
import type { Db, ServiceContext } from '../context.js';
import {
  insertProject,
  insertTaskIfMissing,
  projectRow,
  projectRows,
  projectsOfTask,
  taskRow,
  taskRows,
  tasksWithId,
  updateProjectRow,
} from './project-queries.js';

/** Projects and their tasks. */
export class ProjectService {
  constructor(private readonly ctx: ServiceContext) {}

  async createProject(input: { id: string; name?: string; settings?: ProjectSettings }): Promise<Project> {
    const id = assertProjectId(input.id);
    if (input.settings !== undefined) this.checkSettingsJson(input.settings);
    checkSettings(input.settings);
    try {
      await insertProject(this.ctx.db, {
        id,
        name: cleanName(input.name ?? id),
        settings: input.settings ?? {},
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new Conflict(`Project ${id} already exists.`, { projectId: id });
      throw e;
    }
    return this.getProject(id);
  }

  /** Settings are free-form JSON a user writes: bounded in depth and size like custom properties. */
  private checkSettingsJson(settings: unknown): void {
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings))
      throw new ValidationError('settings must be a JSON object.', { field: 'settings' });
    checkJsonValue(settings, 'settings', this.ctx.limits.maxJsonBytes);
  }

  async getProject(id: string): Promise<Project> {
    const row = await projectRow(this.ctx.db, id);
    if (!row) throw new NotFound(`Project ${id} does not exist.`, { projectId: id });
    return projectFromRow(row);
  }

  async listProjects(options: { ids?: string[] } = {}): Promise<Project[]> {
    if (options.ids?.length === 0) return [];
    return (await projectRows(this.ctx.db, options.ids)).map(projectFromRow);
  }

  async updateProject(id: string, patch: { name?: string; settings?: ProjectSettings }): Promise<Project> {
    const current = await this.getProject(id);
    const settings =
      patch.settings !== undefined ? { ...current.settings, ...patch.settings } : current.settings;
    if (patch.settings !== undefined) this.checkSettingsJson(settings);
    checkSettings(patch.settings);
    await updateProjectRow(this.ctx.db, id, {
      name: patch.name !== undefined ? cleanName(patch.name) : current.name,
      settings,
    });
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
    return (await taskRows(this.ctx.db, projectId)).map(taskFromRow);
  }

  async getTask(projectId: string, taskId: string): Promise<Task> {
    const row = await taskRow(this.ctx.db, projectId, taskId);
    if (!row)
      throw new NotFound(`Task ${taskId} does not exist in project ${projectId}.`, { projectId, taskId });
    return taskFromRow(row);
  }

  /** The task in every project that holds it (with `projectIds`, only in those), by project. */
  async findTask(taskId: string, options: { projectIds?: string[] } = {}): Promise<Task[]> {
    assertTaskId(taskId);
    if (options.projectIds?.length === 0) return [];
    return (await tasksWithId(this.ctx.db, taskId, options.projectIds)).map(taskFromRow);
  }

  /**
   * The project holding `taskId` when the caller did not say. Task ids are unique within a
   * project; when the same id exists in several projects the caller must name one.
   */
  async resolveTaskProject(taskId: string, projectId?: string): Promise<string> {
    assertTaskId(taskId);
    if (projectId !== undefined) return assertProjectId(projectId);
    const rows = await projectsOfTask(this.ctx.db, taskId);
    if (rows.length === 0) throw new NotFound(`Task ${taskId} does not exist.`, { taskId });
    if (rows.length > 1) {
      throw new ValidationError(`Task id ${taskId} exists in more than one project: pass projectId.`, {
        taskId,
      });
    }
    return rows[0]!;
  }

  /** Creates the project and task on first use (idempotent, safe under concurrency). */
  async ensureTask(db: Db, projectId: string, taskId: string): Promise<void> {
    assertProjectId(projectId);
    assertTaskId(taskId);
    await insertTaskIfMissing(db, projectId, { id: taskId, ...parseTaskId(taskId) });
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

/** Settings with a meaning are checked (a bad `movieStartFrame` would misnumber every movie). */
function checkSettings(settings: ProjectSettings | undefined): void {
  if (settings) parseMovieStartFrame(settings.movieStartFrame);
}
