/** users and tokens: accounts, project roles and API tokens. */
import { Argument, Option, type Command } from 'commander';
import type { TokenInfo, UserInfo } from '../backend.js';
import { withBackend } from '../context.js';
import { UsageError } from '../errors.js';
import { out, printJson, table } from '../format.js';

function userRows(users: UserInfo[]): string {
  if (users.length === 0) return '(no users)';
  return table(
    ['ID', 'USERNAME', 'NAME', 'ADMIN', 'STATE', 'ROLES'],
    users.map((u) => [
      u.id,
      u.username,
      u.displayName ?? '',
      u.isAdmin ? 'yes' : '',
      u.disabled ? 'disabled' : 'active',
      (u.memberships ?? []).map((m) => `${m.projectId}:${m.role}`).join(' '),
    ]),
  );
}

function tokenRows(tokens: TokenInfo[]): string {
  if (tokens.length === 0) return '(no tokens)';
  return table(
    ['ID', 'NAME', 'PREFIX', 'CREATED', 'LAST USED', 'EXPIRES', 'STATE'],
    tokens.map((t) => [
      t.id,
      t.name,
      t.prefix ? `${t.prefix}…` : '',
      t.createdAt?.slice(0, 10) ?? '',
      t.lastUsedAt?.slice(0, 16).replace('T', ' ') ?? 'never',
      t.expiresAt?.slice(0, 10) ?? 'never',
      t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt < new Date().toISOString() ? 'expired' : 'active',
    ]),
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function registerUsers(program: Command): void {
  const users = program
    .command('users')
    .description('user accounts and project roles (admins; locally: direct to the data directory)');

  users
    .command('list', { isDefault: true })
    .description('list users with their project roles')
    .option('--json', 'print the users as a JSON array')
    .action(async (f: { json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        const list = await b.listUsers();
        if (f.json) printJson(list);
        else out(userRows(list));
      });
    });

  users
    .command('add')
    .description('create a user')
    .argument('<username>', 'login name')
    .option('--name <display>', 'display name')
    .option('--email <email>', 'e-mail address')
    .option(
      '--password <password>',
      'password for the web app (visible to other local users: prefer --password-stdin)',
    )
    .option('--password-stdin', 'read the password from standard input')
    .option('--admin', 'instance administrator (admin of every project, manages users)')
    .option('--json', 'print the user as JSON')
    .action(
      async (
        username: string,
        f: {
          name?: string;
          email?: string;
          password?: string;
          passwordStdin?: boolean;
          admin?: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        if (f.password !== undefined && f.passwordStdin)
          throw new UsageError('give --password or --password-stdin, not both');
        const password = f.passwordStdin ? await readStdin() : f.password;
        await withBackend(cmd, async (b) => {
          const u = await b.createUser({
            username,
            ...(f.name !== undefined ? { displayName: f.name } : {}),
            ...(f.email !== undefined ? { email: f.email } : {}),
            ...(password !== undefined ? { password } : {}),
            ...(f.admin ? { isAdmin: true } : {}),
          });
          if (f.json) printJson(u);
          else out(`created user ${u.username} (${u.id})${u.isAdmin ? ', admin' : ''}`);
        });
      },
    );

  users
    .command('set-role')
    .description('give a user a role in a project ("none" removes them from it)')
    .argument('<user>', 'username or id')
    .argument('<project>', 'project id')
    .addArgument(
      new Argument('<role>', 'artist, supervisor, admin or none').choices([
        'artist',
        'supervisor',
        'admin',
        'none',
      ]),
    )
    .action(async (user: string, project: string, role: string, _f: unknown, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        await b.setRole(project, user, role === 'none' ? null : role);
        out(role === 'none' ? `${user} removed from ${project}` : `${user} is now ${role} on ${project}`);
      });
    });

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    users
      .command(name)
      .description(
        disabled ? 'disable a user (their tokens and sessions stop working)' : 'enable a disabled user',
      )
      .argument('<user>', 'username or id')
      .option('--json', 'print the user as JSON')
      .action(async (user: string, f: { json?: boolean }, cmd: Command) => {
        await withBackend(cmd, async (b) => {
          const u = await b.updateUser(user, { disabled });
          if (f.json) printJson(u);
          else out(`${u.username} ${disabled ? 'disabled' : 'enabled'}`);
        });
      });
  }

  const tokens = program.command('tokens').description("API tokens (remote: your own; local: --user's)");

  tokens
    .command('list', { isDefault: true })
    .description('list tokens (the secret is never shown again)')
    .option('--user <user>', 'local mode: whose tokens')
    .option('--json', 'print the tokens as a JSON array')
    .action(async (f: { user?: string; json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        const list = await b.listTokens(f.user !== undefined ? { user: f.user } : {});
        if (f.json) printJson(list);
        else out(tokenRows(list));
      });
    });

  tokens
    .command('create')
    .description('create a token and print it once')
    .argument('<name>', 'what the token is for, e.g. "nuke publish"')
    .option('--user <user>', "the token's user (against a server: instance admins, for another user)")
    .addOption(new Option('--expires <date>', 'expiry (ISO date or time); default never'))
    .option(
      '--act-for-others',
      'a pipeline token: may record other people as author, submitter or approver (instance admins; docs/auth.md)',
    )
    .option('--json', 'print { token, … } as JSON')
    .action(
      async (
        name: string,
        f: { user?: string; expires?: string; actForOthers?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        await withBackend(cmd, async (b) => {
          const t = await b.createToken({
            name,
            ...(f.user !== undefined ? { user: f.user } : {}),
            ...(f.expires !== undefined ? { expiresAt: f.expires } : {}),
            ...(f.actForOthers ? { actForOthers: true } : {}),
          });
          if (f.json) printJson(t);
          else {
            out(t.token);
            process.stderr.write(
              `montu: ${t.actForOthers ? 'pipeline token' : 'token'} ${t.id} (${t.name}) created; it is shown only this once\n`,
            );
          }
        });
      },
    );

  tokens
    .command('revoke')
    .description('revoke a token')
    .argument('<id>', 'token id')
    .action(async (id: string, _f: unknown, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        await b.revokeToken(id);
        out(`token ${id} revoked`);
      });
    });
}
