import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { ProcessingError } from '@montu/domain';
import { DEFAULT_MEDIA_LIMITS } from './limits.js';

export interface RunToolOptions {
  /** Kill the tool (SIGKILL, whole process) after this many milliseconds. */
  timeoutMs: number;
  /** Stop collecting stdout after this many bytes and fail (protects memory). Default 512 MiB. */
  maxStdoutBytes?: number;
  /** Called with each stdout line instead of collecting stdout (e.g. `-progress pipe:1`). */
  onStdoutLine?: (line: string) => void;
  /** Abort from outside (job cancelled). */
  signal?: AbortSignal;
  /**
   * Address-space cap in bytes, applied with `prlimit --as=<bytes> --` when /usr/bin/prlimit
   * exists (otherwise none). Default `DEFAULT_MEDIA_LIMITS.toolMemoryBytes` (8 GiB); 0 = no cap.
   */
  memoryBytes?: number;
}

/** prlimit(1) (util-linux); tools run without a memory cap where it is missing. */
export const PRLIMIT = '/usr/bin/prlimit';
let prlimitAvailable: boolean | undefined;
export function hasPrlimit(): boolean {
  if (prlimitAvailable === undefined) {
    try {
      accessSync(PRLIMIT, constants.X_OK);
      prlimitAvailable = true;
    } catch {
      prlimitAvailable = false;
    }
  }
  return prlimitAvailable;
}

export interface ToolResult {
  stdout: Buffer;
  stderr: string;
}

const STDERR_KEEP = 64 * 1024;

/** The last few lines of a tool's stderr, cleaned of pointers, for error messages. */
export function stderrTail(stderr: string, maxChars = 600): string {
  const cleaned = stderr
    .replace(/ @ 0x[0-9a-f]+/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
  return cleaned.length > maxChars ? '…' + cleaned.slice(cleaned.length - maxChars) : cleaned;
}

/**
 * Runs an external tool without a shell, with a timeout that kills it, bounded output, and every
 * failure (spawn error, non-zero exit, signal, timeout, too much output) turned into a
 * ProcessingError carrying the tail of the tool's stderr.
 */
export function runTool(cmd: string, args: readonly string[], opts: RunToolOptions): Promise<ToolResult> {
  const name = path.basename(cmd);
  const maxOut = opts.maxStdoutBytes ?? 512 * 1024 * 1024;
  const memory = opts.memoryBytes ?? DEFAULT_MEDIA_LIMITS.toolMemoryBytes;
  // prlimit sets RLIMIT_AS and execs the tool (same pid, so a kill still reaches the tool).
  const capped = memory > 0 && hasPrlimit();
  const [file, argv] = capped
    ? [PRLIMIT, [`--as=${Math.floor(memory)}`, '--', cmd, ...args]]
    : [cmd, [...args]];
  const capNote = capped ? ` (memory cap ${memory} bytes)` : '';
  return new Promise<ToolResult>((resolve, reject) => {
    let child;
    try {
      child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], shell: false, windowsHide: true });
    } catch (e) {
      reject(new ProcessingError(`${name} could not be started: ${String(e)}`, { cause: e }));
      return;
    }
    const chunks: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let lineBuf = '';
    let failure: string | null = null;
    let settled = false;

    const kill = (why: string) => {
      if (failure === null) failure = why;
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => kill(`${name} timed out after ${opts.timeoutMs} ms`), opts.timeoutMs);
    const onAbort = () => kill(`${name} was cancelled`);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (d: Buffer) => {
      if (opts.onStdoutLine) {
        lineBuf += d.toString('utf8');
        let i: number;
        while ((i = lineBuf.indexOf('\n')) >= 0) {
          const line = lineBuf.slice(0, i).trim();
          lineBuf = lineBuf.slice(i + 1);
          try {
            opts.onStdoutLine(line);
          } catch {
            // a faulty progress callback must not break processing
          }
        }
        return;
      }
      outBytes += d.length;
      if (outBytes > maxOut) {
        kill(`${name} produced more than ${maxOut} bytes of output`);
        return;
      }
      chunks.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      if (stderr.length > STDERR_KEEP * 2) stderr = stderr.slice(stderr.length - STDERR_KEEP);
    });
    const finish = (err: ProcessingError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve({ stdout: Buffer.concat(chunks), stderr });
    };
    child.on('error', (e) => {
      finish(
        new ProcessingError(`${name} failed to run: ${e.message}`, { cause: e, details: { tool: name } }),
      );
    });
    child.on('close', (code, signal) => {
      if (failure !== null) {
        finish(
          new ProcessingError(withTail(failure, stderr), {
            details: { tool: name, stderr: stderrTail(stderr) },
          }),
        );
      } else if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        finish(
          new ProcessingError(withTail(`${name} ${how}${capNote}`, stderr), {
            details: {
              tool: name,
              exitCode: code,
              stderr: stderrTail(stderr),
              ...(capped ? { memoryLimitBytes: memory } : {}),
            },
          }),
        );
      } else {
        finish(null);
      }
    });
  });
}

function withTail(msg: string, stderr: string): string {
  const tail = stderrTail(stderr);
  return tail ? `${msg}: ${tail}` : msg;
}

const toolCache = new Map<string, string | null>();

/**
 * Absolute path of an executable on `searchPath` (a `PATH` value; or the given path if it is
 * executable), else null. Answers are remembered (tools are not installed while we run).
 */
export function findTool(cmd: string, searchPath: string): string | null {
  const key = `${searchPath}\0${cmd}`;
  const cached = toolCache.get(key);
  if (cached !== undefined) return cached;
  let found: string | null = null;
  const candidates = cmd.includes('/')
    ? [cmd]
    : searchPath.split(path.delimiter).map((d) => path.join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      found = c;
      break;
    } catch {
      // keep looking
    }
  }
  toolCache.set(key, found);
  return found;
}
