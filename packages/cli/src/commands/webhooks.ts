/** montu webhooks list|add|delete|deliveries (instance administrators on a server). */
import { InvalidArgumentError, type Command } from 'commander';
import type { WebhookDelivery } from '../backend.js';
import { withBackend } from '../context.js';
import { out, printJson, table } from '../format.js';
import { intArg, listArg } from '../options.js';

const STATES: ReadonlyArray<WebhookDelivery['state']> = ['pending', 'delivered', 'failed'];

function stateArg(v: string): WebhookDelivery['state'] {
  if (!(STATES as readonly string[]).includes(v))
    throw new InvalidArgumentError(`expected one of ${STATES.join(', ')}`);
  return v as WebhookDelivery['state'];
}

export function registerWebhooks(program: Command): void {
  const wh = program
    .command('webhooks')
    .alias('webhook')
    .description('webhooks: signed JSON POSTs of review and ingest events (admins)');

  wh.command('list')
    .description('configured webhooks (secrets are not shown)')
    .option('--json', 'print a JSON array')
    .action(async (f: { json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        const hooks = await b.listWebhooks();
        if (f.json) printJson(hooks);
        else if (hooks.length === 0) out('(no webhooks)');
        else
          out(
            table(
              ['ID', 'URL', 'EVENTS', 'PROJECT', 'ACTIVE'],
              hooks.map((h) => [
                h.id,
                h.url,
                h.events.join(',') || '(all)',
                h.projectId ?? '(all)',
                h.active ? 'yes' : 'no',
              ]),
            ),
          );
      });
    });

  wh.command('add')
    .description('add a webhook; without --secret one is made and shown once')
    .argument('<url>', 'http(s) URL the events are POSTed to')
    .option('--secret <secret>', 'HMAC-SHA256 signing secret (16–512 characters)')
    .option(
      '--events <list>',
      'event types, comma-separated (media.created, annotation.*, *); default all but *.progress',
      listArg,
    )
    .option('-p, --project <id>', 'only events of this project')
    .option('-d, --description <text>', 'description')
    .option('--json', 'print the webhook as JSON (with its secret)')
    .action(
      async (
        url: string,
        f: { secret?: string; events?: string[]; project?: string; description?: string; json?: boolean },
        cmd: Command,
      ) => {
        await withBackend(cmd, async (b) => {
          const h = await b.createWebhook({
            url,
            ...(f.secret !== undefined ? { secret: f.secret } : {}),
            ...(f.events !== undefined ? { events: f.events } : {}),
            ...(f.project !== undefined ? { projectId: f.project } : {}),
            ...(f.description !== undefined ? { description: f.description } : {}),
          });
          if (f.json) printJson(h);
          else {
            out(`webhook ${h.id} added for ${h.url}`);
            if (h.secret && f.secret === undefined) out(`secret (shown once): ${h.secret}`);
          }
        });
      },
    );

  wh.command('delete')
    .description('delete a webhook and its delivery log')
    .argument('<id>', 'webhook id')
    .action(async (id: string, _f: unknown, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        await b.deleteWebhook(id);
        out(`webhook ${id} deleted`);
      });
    });

  wh.command('deliveries')
    .description("a webhook's delivery log, newest first")
    .argument('<id>', 'webhook id')
    .option('--state <state>', STATES.join('|'), stateArg)
    .option('-n, --limit <n>', 'at most this many', intArg(1))
    .option('--json', 'print a JSON array')
    .action(
      async (
        id: string,
        f: { state?: WebhookDelivery['state']; limit?: number; json?: boolean },
        cmd: Command,
      ) => {
        await withBackend(cmd, async (b) => {
          const ds = await b.webhookDeliveries(id, {
            ...(f.state ? { state: f.state } : {}),
            ...(f.limit !== undefined ? { limit: f.limit } : {}),
          });
          if (f.json) printJson(ds);
          else if (ds.length === 0) out('(no deliveries)');
          else
            out(
              table(
                ['ID', 'EVENT', 'STATE', 'ATTEMPTS', 'LAST', 'CREATED'],
                ds.map((d) => [
                  d.id,
                  d.eventType,
                  d.state,
                  String(d.attempts),
                  d.lastStatus !== null ? String(d.lastStatus) : (d.lastError ?? '-'),
                  d.createdAt.slice(0, 19).replace('T', ' '),
                ]),
                { right: [3] },
              ),
            );
        });
      },
    );
}
