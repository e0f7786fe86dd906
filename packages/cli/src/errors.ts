/**
 * Exit codes and the one-line error report of the `montu` command. Codes are part of the
 * CLI's contract with scripts (docs/cli.md); never renumber them.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  validation: 5,
  auth: 6,
  partial: 7,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports in one line, with the exit code it ends with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
    /** Stable machine code (the library's or the server's `code`), for `--json` error output. */
    readonly code: string = 'error',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage, 'usage');
  }
}

/** The exit code for a library or server error code (`not_found`, `conflict`, …). */
export function exitCodeFor(code: string | undefined): ExitCode {
  switch (code) {
    case 'not_found':
      return EXIT.notFound;
    case 'conflict':
      return EXIT.conflict;
    case 'validation_error':
    case 'payload_too_large':
      return EXIT.validation;
    case 'unauthorized':
    case 'forbidden':
      return EXIT.auth;
    case 'usage':
      return EXIT.usage;
    default:
      return EXIT.failure;
  }
}

/** Anything thrown, as `{ code, message, exitCode }`. Library errors carry a `code` property. */
export function describeError(e: unknown): { code: string; message: string; exitCode: ExitCode } {
  if (e instanceof CliError) return { code: e.code, message: e.message, exitCode: e.exitCode };
  if (e instanceof Error) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === 'string' && /^[a-z_]+$/.test(code)) {
      return { code, message: e.message, exitCode: exitCodeFor(code) };
    }
    // Node system errors (ENOENT, ECONNREFUSED, …) keep their code in the message.
    if (typeof code === 'string')
      return { code: code.toLowerCase(), message: e.message, exitCode: EXIT.failure };
    return { code: 'error', message: e.message, exitCode: EXIT.failure };
  }
  return { code: 'error', message: String(e), exitCode: EXIT.failure };
}

/** One line: newlines in messages are folded so the report stays greppable. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
