/** ingest: files, folders, globs and sequence patterns → media items, with progress and a summary. */
import path from 'node:path';
import type { Command } from 'commander';
import type { MontuBackend } from '../backend.js';
import { collectInputs, displayPath, type PlanItem } from '../collect.js';
import { actorName, withBackend } from '../context.js';
import { CliError, EXIT, UsageError, describeError, oneLine } from '../errors.js';
import { formatBytes, formatDuration, out, printJson, table } from '../format.js';
import { fpsArg, intArg, listArg } from '../options.js';
import { Progress } from '../progress.js';
import { compileTemplate, matchTemplate, type CompiledTemplate } from '../template.js';

interface IngestFlags {
  project?: string;
  task?: string;
  version?: string;
  template?: string;
  description?: string;
  tags?: string[];
  fps?: string;
  sequences: boolean;
  jobs: number;
  dryRun?: boolean;
  wait?: boolean;
  progress: boolean;
  json?: boolean;
}

export interface IngestResult {
  path: string;
  kind: 'file' | 'sequence';
  status: 'ok' | 'failed' | 'planned';
  projectId: string | null;
  taskId: string | null;
  version: string | null;
  size: number;
  frames?: { count: number; start: number; end: number; missing: number[] };
  mediaId?: string;
  mediaType?: string;
  error?: { code: string; message: string };
}

interface Resolved {
  projectId?: string;
  taskId?: string;
  version?: string;
}

function resolveItem(item: PlanItem, flags: IngestFlags, template: CompiledTemplate | undefined): Resolved {
  const probe = item.kind === 'file' ? item.path : item.frames[0]!.path;
  let fromTemplate: Resolved = {};
  if (template) {
    const m = matchTemplate(template, probe);
    if (!m)
      throw new CliError(
        `does not match the template ${template.source}`,
        EXIT.validation,
        'validation_error',
      );
    fromTemplate = {
      ...(m.projectId !== undefined ? { projectId: m.projectId } : {}),
      ...(m.taskId !== undefined ? { taskId: m.taskId } : {}),
      ...(m.version !== undefined ? { version: m.version } : {}),
    };
  }
  // Flags win over what the template read from the path.
  const r: Resolved = { ...fromTemplate };
  if (flags.project !== undefined) r.projectId = flags.project;
  if (flags.task !== undefined) r.taskId = flags.task;
  if (flags.version !== undefined) r.version = flags.version;
  if (!r.projectId)
    throw new CliError(
      'no project: give --project or a template with {project}',
      EXIT.validation,
      'validation_error',
    );
  if (!r.taskId)
    throw new CliError('no task: give --task or a template with {task}', EXIT.validation, 'validation_error');
  return r;
}

function rel(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}

async function ingestOne(
  b: MontuBackend,
  item: PlanItem,
  r: Resolved,
  flags: IngestFlags,
  author: string,
  progress: Progress,
): Promise<{ mediaId: string; mediaType: string; version: string }> {
  const common = {
    projectId: r.projectId!,
    taskId: r.taskId!,
    author,
    ...(r.version !== undefined ? { version: r.version } : {}),
    ...(flags.description !== undefined ? { description: flags.description } : {}),
    ...(flags.tags !== undefined ? { tags: flags.tags } : {}),
    ...(flags.wait ? { wait: true } : {}),
    onProgress: (n: number) => progress.bytes(n),
  };
  const m =
    item.kind === 'file'
      ? await b.uploadFile({ ...common, filePath: item.path })
      : await b.uploadSequence({
          ...common,
          frames: item.frames,
          pattern: path.basename(item.pattern),
          ...(flags.fps !== undefined ? { fps: flags.fps } : {}),
        });
  return { mediaId: m.id, mediaType: m.mediaType, version: m.version };
}

function summaryTable(results: IngestResult[]): string {
  return table(
    ['STATUS', 'PATH', 'PROJECT', 'TASK', 'VERSION', 'TYPE', 'SIZE', 'ID / ERROR'],
    results.map((r) => [
      r.status,
      rel(r.path) +
        (r.frames
          ? ` [${r.frames.start}-${r.frames.end}${r.frames.missing.length ? `, ${r.frames.missing.length} missing` : ''}]`
          : ''),
      r.projectId ?? '-',
      r.taskId ?? '-',
      r.version ?? '-',
      r.mediaType ?? r.kind,
      formatBytes(r.size),
      r.status === 'failed' ? (r.error?.message ?? '') : (r.mediaId ?? ''),
    ]),
    { right: [6] },
  );
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('publish files, folders, globs and image sequences as new versions')
    .argument(
      '<paths...>',
      'files, folders, quoted globs ("renders/**/*.exr") or sequence patterns (beauty.####.exr, beauty.%04d.exr)',
    )
    .option('-p, --project <id>', 'project of every item (overrides the template)')
    .option('-t, --task <id>', 'task of every item, e.g. ep01_sq010_sh020_lighting (overrides the template)')
    .option('--version <v>', 'version to create (v003); default the next free one')
    .option(
      '--template <template>',
      "read project/task/version from each path, e.g. '{project}/{episode}_{sequence}_{shot}/{task}/{name}.{frame}.{ext}'",
    )
    .option('-d, --description <text>', 'description of every item')
    .option('--tags <tags>', 'tags of every item (comma-separated, repeatable)', listArg)
    .option(
      '--fps <rate>',
      "frame rate of sequences (24, 25, 23.976, 24000/1001); default the project's",
      fpsArg,
    )
    .option('--no-sequences', 'ingest numbered frames one by one instead of as sequences')
    .option('-j, --jobs <n>', 'items uploaded at once', intArg(1), 2)
    .option('-n, --dry-run', 'show what would be ingested, change nothing')
    .option('-w, --wait', 'wait for metadata, thumbnails and proxies (local mode: made by this command)')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print a JSON report { items, ok, failed, bytes, seconds }')
    .addHelpText(
      'after',
      `
Examples:
  montu ingest -p SWA -t ep01_sq010_sh020_comp comp_v001.mov
  montu ingest -p SWA -t sq010_sh020_lighting renders/beauty.####.exr --fps 24
  montu ingest --template '{project}/{episode}_{sequence}_{shot}/{task}/{name}.{frame}.{ext}' SWA/
  montu ingest -p SWA --template '{shot}/{task}/{*}.{ext}' 'plates/**/*.dpx' --json

Numbered stills of one name in one folder become one sequence (use --no-sequences to
ingest them one by one). Exit code 7 when some items failed and others went in.`,
    )
    .action(async (inputs: string[], flags: IngestFlags, cmd: Command) => {
      const template = flags.template !== undefined ? compileTemplate(flags.template) : undefined;
      if (!template && (flags.project === undefined || flags.task === undefined)) {
        throw new UsageError('ingest needs --project and --task, or a --template that names them');
      }
      const plan = await collectInputs(inputs, { sequences: flags.sequences });
      const results: IngestResult[] = plan.errors.map((e) => ({
        path: e.input,
        kind: 'file',
        status: 'failed',
        projectId: null,
        taskId: null,
        version: null,
        size: 0,
        error: { code: 'not_found', message: e.message },
      }));
      const entries = plan.items.map((item) => {
        const base: IngestResult = {
          path: displayPath(item),
          kind: item.kind,
          status: 'planned',
          projectId: null,
          taskId: null,
          version: null,
          size: item.size,
          ...(item.kind === 'sequence'
            ? {
                frames: {
                  count: item.frames.length,
                  start: item.start,
                  end: item.end,
                  missing: item.missing,
                },
              }
            : {}),
        };
        try {
          const r = resolveItem(item, flags, template);
          base.projectId = r.projectId!;
          base.taskId = r.taskId!;
          base.version = r.version ?? null;
          return { item, result: base, resolved: r as Resolved | null };
        } catch (e) {
          const d = describeError(e);
          base.status = 'failed';
          base.error = { code: d.code, message: d.message };
          return { item, result: base, resolved: null };
        }
      });
      results.push(...entries.map((e) => e.result));
      if (results.length === 0) throw new CliError('nothing to ingest', EXIT.failure, 'not_found');

      let seconds = 0;
      if (!flags.dryRun) {
        const todo = entries.filter((e) => e.resolved !== null);
        const totals = {
          files: todo.reduce((n, e) => n + (e.item.kind === 'sequence' ? e.item.frames.length : 1), 0),
          bytes: todo.reduce((n, e) => n + e.item.size, 0),
        };
        await withBackend(
          cmd,
          async (b, g) => {
            const author = actorName(g);
            const progress = new Progress(totals, process.stderr, { enabled: flags.progress && !flags.json });
            const plain = !progress.tty && flags.progress && !flags.json;
            let next = 0;
            const worker = async () => {
              while (next < todo.length) {
                const e = todo[next++]!;
                const files = e.item.kind === 'sequence' ? e.item.frames.length : 1;
                try {
                  const done = await ingestOne(b, e.item, e.resolved!, flags, author, progress);
                  Object.assign(e.result, {
                    status: 'ok',
                    mediaId: done.mediaId,
                    mediaType: done.mediaType,
                    version: done.version,
                  });
                  progress.item(
                    files,
                    plain || progress.tty
                      ? `ok      ${rel(e.result.path)} -> ${e.result.taskId} ${done.version} (${done.mediaId})`
                      : undefined,
                  );
                } catch (err) {
                  const d = describeError(err);
                  Object.assign(e.result, {
                    status: 'failed',
                    error: { code: d.code, message: oneLine(d.message) },
                  });
                  progress.item(
                    files,
                    plain || progress.tty
                      ? `failed  ${rel(e.result.path)}: ${oneLine(d.message)}`
                      : undefined,
                  );
                  // Auth and unreachable servers fail every item alike: stop early.
                  if (d.exitCode === EXIT.auth || d.code === 'unreachable') next = todo.length;
                }
              }
            };
            await Promise.all(Array.from({ length: Math.min(flags.jobs, Math.max(1, todo.length)) }, worker));
            progress.stop();
            seconds = progress.rates().seconds;
          },
          { work: !!flags.wait },
        );
        for (const e of entries) {
          if (e.result.status === 'planned') {
            e.result.status = 'failed';
            e.result.error = { code: 'skipped', message: 'not attempted after an earlier error' };
          }
        }
      }

      const ok = results.filter((r) => r.status === 'ok');
      const failed = results.filter((r) => r.status === 'failed');
      const bytes = ok.reduce((n, r) => n + r.size, 0);
      if (flags.json) {
        printJson({
          dryRun: !!flags.dryRun,
          items: results,
          ok: ok.length,
          failed: failed.length,
          bytes,
          seconds: Math.round(seconds * 1000) / 1000,
        });
      } else {
        out(summaryTable(results));
        if (flags.dryRun)
          out(
            `\ndry run: ${results.length - failed.length} item(s) would be ingested, ${failed.length} cannot be`,
          );
        else {
          const files = ok.reduce((n, r) => n + (r.frames?.count ?? 1), 0);
          out(
            `\n${ok.length} item(s) ingested (${files} files, ${formatBytes(bytes)}) in ${formatDuration(seconds)}` +
              ` — ${(files / Math.max(seconds, 0.001)).toFixed(1)} files/s, ${formatBytes(bytes / Math.max(seconds, 0.001))}/s` +
              (failed.length ? `; ${failed.length} failed` : ''),
          );
        }
      }
      if (failed.length === 0) return;
      if (ok.length > 0) {
        throw new CliError(`${failed.length} of ${results.length} item(s) failed`, EXIT.partial, 'partial');
      }
      const firstItem = failed[0]!;
      const first = firstItem.error!;
      const exit =
        failed.length === 1
          ? describeError(Object.assign(new Error(first.message), { code: first.code })).exitCode
          : EXIT.failure;
      throw new CliError(
        failed.length === 1
          ? `${rel(firstItem.path)}: ${first.message}`
          : `all ${failed.length} item(s) failed`,
        exit,
        first.code,
      );
    });
}
