/** submit, approve, reject, request-changes, annotate, notes. */
import type { Command } from 'commander';
import type { ReviewAction } from '../backend.js';
import { withBackend } from '../context.js';
import { UsageError } from '../errors.js';
import { out, printJson } from '../format.js';
import { intArg } from '../options.js';
import { annotationRows } from '../show.js';

const ACTIONS: Array<{ name: ReviewAction; what: string; needsComment: boolean; done: string }> = [
  { name: 'submit', what: 'put a version forward for review', needsComment: false, done: 'submitted for review' },
  { name: 'approve', what: 'approve a version (supervisors)', needsComment: false, done: 'approved' },
  { name: 'reject', what: 'reject a version (supervisors)', needsComment: true, done: 'rejected' },
  { name: 'request-changes', what: 'ask for changes (supervisors)', needsComment: true, done: 'changes requested' },
];

export function registerReview(program: Command): void {
  for (const a of ACTIONS) {
    program
      .command(a.name)
      .description(a.what)
      .argument('<id>', 'media id')
      .option('-m, --message <comment>', `comment recorded with the change${a.needsComment ? ' (required)' : ''}`)
      .option('--json', 'print the updated item as JSON')
      .action(async (id: string, f: { message?: string; json?: boolean }, cmd: Command) => {
        if (a.needsComment && !f.message?.trim()) throw new UsageError(`${a.name} needs a comment: -m "why"`);
        await withBackend(cmd, async (b) => {
          const m = await b.review(id, a.name, f.message);
          if (f.json) printJson(m);
          else out(`${m.taskId} ${m.version} ${a.done} (status ${m.status})`);
        });
      });
  }

  program
    .command('annotate')
    .description('add a review note, optionally on a frame or frame range')
    .argument('<id>', 'media id')
    .requiredOption('-m, --message <text>', 'the note')
    .option('-f, --frame <n>', 'frame the note is about', intArg(-10_000_000))
    .option('--frame-end <n>', 'last frame of a range (needs --frame)', intArg(-10_000_000))
    .option('--json', 'print the note as JSON')
    .action(async (id: string, f: { message: string; frame?: number; frameEnd?: number; json?: boolean }, cmd: Command) => {
      if (f.frameEnd !== undefined && f.frame === undefined) throw new UsageError('--frame-end needs --frame');
      await withBackend(cmd, async (b) => {
        const note = await b.annotate(id, {
          content: f.message,
          ...(f.frame !== undefined ? { frame: f.frame } : {}),
          ...(f.frameEnd !== undefined ? { frameEnd: f.frameEnd } : {}),
        });
        if (f.json) printJson(note);
        else out(`note ${note.id} added${note.frame !== null ? ` on frame ${note.frame}` : ''}`);
      });
    });

  program
    .command('notes')
    .description('list the review notes of a media item')
    .argument('<id>', 'media id')
    .option('--json', 'print the notes as a JSON array')
    .action(async (id: string, f: { json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        const notes = await b.annotations(id);
        if (f.json) printJson(notes);
        else out(annotationRows(notes));
      });
    });
}
