/** The `montu` command: global options, every subcommand, error reporting and exit codes. */
import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { registerCleanup } from './commands/cleanup.js';
import { registerIngest } from './commands/ingest.js';
import { registerJobs } from './commands/jobs.js';
import { registerMedia } from './commands/media.js';
import { registerPlaylists } from './commands/playlists.js';
import { registerProbe } from './commands/probe.js';
import { registerReview } from './commands/review.js';
import { registerServe } from './commands/serve.js';
import { registerStats } from './commands/stats.js';
import { registerStorage } from './commands/storage.js';
import { registerUsers } from './commands/users.js';
import { registerVerify } from './commands/verify.js';
import { registerWebhooks } from './commands/webhooks.js';
import { EXIT, describeError, oneLine, type ExitCode } from './errors.js';

export function cliVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(): Command {
  const program = new Command('montu');
  program
    .description('Montu media asset management and review: publish, find and review media from a terminal')
    .addOption(
      new Option('--data-dir <dir>', 'local mode: data directory (MONTU_DATA_DIR, default ./montu-data)'),
    )
    .addOption(
      new Option('--database-url <url>', 'local mode: postgres://… or a SQLite file (MONTU_DATABASE_URL)'),
    )
    .addOption(new Option('--server <url>', 'remote mode: Montu server URL (MONTU_SERVER)'))
    .addOption(new Option('--token <token>', 'remote mode: API token (MONTU_TOKEN)'))
    .addOption(
      new Option('--as <name>', 'local mode: who acts, recorded as author (MONTU_USER, default your login)'),
    )
    .showSuggestionAfterError(true)
    .configureOutput({
      outputError: (str, write) => write(`montu: ${oneLine(str)}\n`),
    })
    .addHelpText(
      'after',
      `
Global options go before or after the command. Every command works on a local data
directory or, with --server/--token (or MONTU_SERVER/MONTU_TOKEN), against a server.
Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 conflict, 5 validation,
6 authentication/permission, 7 partial (some items of an ingest failed). See docs/cli.md.
Also: montu --version.`,
    );
  registerServe(program);
  registerIngest(program);
  registerProbe(program);
  registerMedia(program);
  registerReview(program);
  registerPlaylists(program);
  registerWebhooks(program);
  registerStats(program);
  registerStorage(program);
  registerCleanup(program);
  registerVerify(program);
  registerUsers(program);
  registerJobs(program);
  // Every command exits through run() with our codes rather than commander's process.exit.
  const apply = (c: Command) => {
    c.exitOverride();
    c.configureOutput({ outputError: (str, write) => write(`montu: ${oneLine(str)}\n`) });
    c.commands.forEach(apply);
  };
  apply(program);
  return program;
}

/** Runs the CLI; returns the exit code (never calls process.exit). */
export async function run(argv: string[]): Promise<ExitCode> {
  const args = argv.slice(2);
  // `--version` is handled here, not by commander: `ingest --version v003` is an ingest option.
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${cliVersion()}\n`);
    return EXIT.ok;
  }
  const program = buildProgram();
  if (args.length === 0) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are successes; everything else commander reports is a usage error
      // (already printed through outputError).
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const d = describeError(e);
    process.stderr.write(`montu: error: ${oneLine(d.message)}\n`);
    if (process.env['MONTU_DEBUG'] && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return d.exitCode;
  }
}
