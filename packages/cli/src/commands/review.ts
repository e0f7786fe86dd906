/** submit, approve, reject, request-changes, annotate, notes list|add|resolve|delete. */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { ReviewAction, ReviewNote } from '../backend.js';
import { withBackend } from '../context.js';
import { UsageError } from '../errors.js';
import { out, printJson, table } from '../format.js';
import { intArg } from '../options.js';

const ACTIONS: Array<{ name: ReviewAction; what: string; needsComment: boolean; done: string }> = [
  {
    name: 'submit',
    what: 'put a version forward for review',
    needsComment: false,
    done: 'submitted for review',
  },
  { name: 'approve', what: 'approve a version (supervisors)', needsComment: false, done: 'approved' },
  { name: 'reject', what: 'reject a version (supervisors)', needsComment: true, done: 'rejected' },
  {
    name: 'request-changes',
    what: 'ask for changes (supervisors)',
    needsComment: true,
    done: 'changes requested',
  },
  { name: 'hold', what: 'put a version on hold (supervisors)', needsComment: false, done: 'put on hold' },
  {
    name: 'reopen',
    what: 'send a version back to work in progress (supervisors)',
    needsComment: false,
    done: 'reopened',
  },
];

export function registerReview(program: Command): void {
  for (const a of ACTIONS) {
    program
      .command(a.name)
      .description(a.what)
      .argument('<id>', 'media id')
      .option(
        '-m, --message <comment>',
        `comment recorded with the change${a.needsComment ? ' (required)' : ''}`,
      )
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
    .action(
      async (
        id: string,
        f: { message: string; frame?: number; frameEnd?: number; json?: boolean },
        cmd: Command,
      ) => {
        if (f.frameEnd !== undefined && f.frame === undefined)
          throw new UsageError('--frame-end needs --frame');
        await withBackend(cmd, async (b) => {
          const note = await b.annotate(id, {
            content: f.message,
            ...(f.frame !== undefined ? { frame: f.frame } : {}),
            ...(f.frameEnd !== undefined ? { frameEnd: f.frameEnd } : {}),
          });
          if (f.json) printJson(note);
          else out(`note ${note.id} added${note.frame !== null ? ` on frame ${note.frame}` : ''}`);
        });
      },
    );

  const notes = program
    .command('notes')
    .description('threaded review notes: list (default), add, resolve, delete');

  notes
    .command('list', { isDefault: true })
    .description('notes of a media item, with timecode (`montu notes ID` is the same)')
    .argument('<id>', 'media id')
    .option('-f, --frame <n>', 'only notes on this frame (or a range containing it)', intArg(-10_000_000))
    .option('--unresolved', 'only notes not resolved yet')
    .option('--resolved', 'only resolved notes')
    .option('--playlist <id>', 'only notes made in this playlist')
    .option('--json', 'print the notes as a JSON array')
    .action(
      async (
        id: string,
        f: { frame?: number; unresolved?: boolean; resolved?: boolean; playlist?: string; json?: boolean },
        cmd: Command,
      ) => {
        if (f.unresolved && f.resolved) throw new UsageError('give --resolved or --unresolved, not both');
        await withBackend(cmd, async (b) => {
          const list = await b.listNotes(id, {
            ...(f.frame !== undefined ? { frame: f.frame } : {}),
            ...(f.unresolved ? { resolved: false } : f.resolved ? { resolved: true } : {}),
            ...(f.playlist !== undefined ? { playlistId: f.playlist } : {}),
          });
          if (f.json) printJson(list);
          else out(noteRows(list));
        });
      },
    );

  notes
    .command('add')
    .description('add a note, optionally on a frame or range, as a reply, with a drawing')
    .argument('<id>', 'media id')
    .option('-m, --message <text>', 'the note')
    .option('--text <text>', 'the note (same as -m)')
    .option('-f, --frame <n>', 'frame the note is about', intArg(-10_000_000))
    .option('--frame-end <n>', 'last frame of a range (needs --frame)', intArg(-10_000_000))
    .option('--reply-to <noteId>', "reply in this note's thread")
    .option('--drawing <file.json>', 'vector drawing { version: 1, shapes: [...] } (docs/review.md)')
    .option('--playlist <id>', "made in this playlist (still the media item's note)")
    .option('--json', 'print the note as JSON')
    .action(
      async (
        id: string,
        f: {
          message?: string;
          text?: string;
          frame?: number;
          frameEnd?: number;
          replyTo?: string;
          drawing?: string;
          playlist?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const content = f.message ?? f.text;
        if (!content?.trim()) throw new UsageError('notes add needs the note: -m "text"');
        if (f.frameEnd !== undefined && f.frame === undefined)
          throw new UsageError('--frame-end needs --frame');
        let drawing: unknown;
        if (f.drawing !== undefined) {
          try {
            drawing = JSON.parse(fs.readFileSync(f.drawing, 'utf8'));
          } catch (e) {
            throw new UsageError(`--drawing ${f.drawing}: ${(e as Error).message}`);
          }
        }
        await withBackend(cmd, async (b) => {
          const note = await b.addNote(id, {
            content,
            ...(f.frame !== undefined ? { frame: f.frame } : {}),
            ...(f.frameEnd !== undefined ? { frameEnd: f.frameEnd } : {}),
            ...(f.replyTo !== undefined ? { parentId: f.replyTo } : {}),
            ...(drawing !== undefined ? { drawing } : {}),
            ...(f.playlist !== undefined ? { playlistId: f.playlist } : {}),
          });
          if (f.json) printJson(note);
          else
            out(
              `note ${note.id} added${note.frame !== null ? ` on frame ${note.frame}${note.timecode ? ` (${note.timecode})` : ''}` : ''}`,
            );
        });
      },
    );

  notes
    .command('resolve')
    .description('mark a note resolved (--reopen: not resolved again)')
    .argument('<noteId>', 'note id')
    .option('--reopen', 'mark it unresolved')
    .option('--json', 'print the note as JSON')
    .action(async (noteId: string, f: { reopen?: boolean; json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        const note = await b.resolveNote(noteId, !f.reopen);
        if (f.json) printJson(note);
        else out(`note ${note.id} ${note.resolved ? 'resolved' : 'reopened'}`);
      });
    });

  notes
    .command('delete')
    .description('delete a note and its replies (its author only)')
    .argument('<noteId>', 'note id')
    .action(async (noteId: string, _f: unknown, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        await b.deleteNote(noteId);
        out(`note ${noteId} deleted`);
      });
    });
}

function noteRows(notes: ReviewNote[]): string {
  if (notes.length === 0) return '(no notes)';
  const frames = (n: ReviewNote) =>
    n.frame === null
      ? '-'
      : `${n.frame}${n.frameEnd !== null ? `-${n.frameEnd}` : ''}${n.timecode ? ` ${n.timecode}` : ''}`;
  return table(
    ['ID', 'FRAME', 'AUTHOR', 'DONE', 'NOTE'],
    notes.map((n) => [
      n.id,
      frames(n),
      n.author,
      n.resolved ? 'yes' : '',
      `${n.parentId ? '↳ ' : ''}${n.drawing ? '[drawing] ' : ''}${n.content.replace(/\s+/g, ' ')}`,
    ]),
  );
}
