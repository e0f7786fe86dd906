/**
 * Sending one webhook request. Webhook URLs are set by admins, but the server makes the request
 * from inside the studio network, so a URL is a way to reach whatever that network can: the
 * machine's own services on loopback, databases and admin consoles on private addresses, and on
 * cloud machines the metadata service at 169.254.169.254 (and fd00:ec2::254) that hands out the
 * machine's credentials. By default a webhook may reach public addresses only (issue 20, item 7): loopback, private, carrier-grade NAT and unique-local addresses are
 * refused unless an allow-list (`webhooks.allowNetworks`, `MONTU_WEBHOOK_ALLOW_NETWORKS`) names
 * them — where the studio's pipeline services live. Link-local, multicast, broadcast and
 * unspecified addresses are refused always. IPv6 forms that carry an IPv4 address (mapped
 * `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`) are
 * judged by that IPv4 address. Literal addresses are checked when the webhook is saved, names at
 * every connection on the addresses they resolve to then (a name that later resolves elsewhere
 * gains nothing).
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ValidationError } from '@montu/domain';

/** Never reachable, whatever the allow-list says. */
const never = new net.BlockList();
never.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, cloud metadata services
never.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network"
never.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
never.addAddress('255.255.255.255', 'ipv4'); // broadcast
never.addSubnet('fe80::', 10, 'ipv6'); // link-local
never.addAddress('fd00:ec2::254', 'ipv6'); // AWS's metadata service over IPv6
never.addAddress('::', 'ipv6');
never.addSubnet('ff00::', 8, 'ipv6'); // multicast

/** Inside the studio or the machine: reachable only when the allow-list names them. */
const internal = new net.BlockList();
internal.addSubnet('127.0.0.0', 8, 'ipv4'); // loopback
internal.addSubnet('10.0.0.0', 8, 'ipv4');
internal.addSubnet('172.16.0.0', 12, 'ipv4');
internal.addSubnet('192.168.0.0', 16, 'ipv4');
internal.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT
internal.addSubnet('198.18.0.0', 15, 'ipv4'); // benchmarking, used inside networks
internal.addAddress('::1', 'ipv6');
internal.addSubnet('fc00::', 7, 'ipv6'); // unique local

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64), or null. */
export function embeddedIpv4(address: string): string | null {
  const groups = ipv6Groups(address);
  if (!groups) return null;
  const v4 = () => `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  const zero = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zero(0, 5) && groups[5] === 0xffff) return v4(); // ::ffff:a.b.c.d
  if (zero(0, 6) && (groups[6] !== 0 || groups[7]! > 1)) return v4(); // ::a.b.c.d (not :: or ::1)
  if (groups[0] === 0x64 && groups[1] === 0xff9b && (zero(2, 6) || groups[2] === 1)) return v4(); // NAT64
  return null;
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail included), or null. */
function ipv6Groups(address: string): number[] | null {
  if (net.isIPv6(address) === false) return null;
  let text = address.split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const b = dotted[1]!.split('.').map(Number);
    text = `${text.slice(0, -dotted[1]!.length)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [left, right] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const l = parse(left);
  const r = right === undefined ? [] : parse(right);
  const groups =
    right === undefined ? l : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  return groups.length === 8 ? groups : null;
}

/** Where this library's webhooks may send: the fixed rules plus the configured allow-list. */
export class WebhookTargets {
  private readonly allowed = new net.BlockList();
  private readonly hasAllowList: boolean;

  /** `allowNetworks`: addresses or CIDR ranges (`127.0.0.1`, `10.20.0.0/16`, `fd12::/16`). */
  constructor(readonly allowNetworks: readonly string[] = []) {
    for (const entry of allowNetworks) {
      const [addr = '', prefix, extra] = entry.trim().split('/');
      const family = net.isIP(addr);
      const bits = family === 4 ? 32 : 128;
      if (
        family === 0 ||
        extra !== undefined ||
        (prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= bits))
      )
        throw new ValidationError(
          `Webhook allow-list entry ${JSON.stringify(entry)} is not an address or a CIDR range (10.20.0.0/16).`,
          { field: 'allowNetworks' },
        );
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.allowed.addAddress(addr, type);
      else this.allowed.addSubnet(addr, Number(prefix), type);
    }
    this.hasAllowList = allowNetworks.length > 0;
  }

  /** Why `address` may not be reached, or null when it may (names: null, checked on lookup). */
  refusal(address: string): string | null {
    const bare = address.replace(/^\[(.*)\]$/, '$1');
    const family = net.isIP(bare);
    if (family === 0) return null;
    const candidates: Array<[string, 'ipv4' | 'ipv6']> = [[bare, family === 6 ? 'ipv6' : 'ipv4']];
    const v4 = family === 6 ? embeddedIpv4(bare) : null;
    if (v4) candidates.push([v4, 'ipv4']);
    if (candidates.some(([a, t]) => never.check(a, t)))
      return `${address} is a link-local, multicast or unspecified address, which webhooks may not reach`;
    if (this.hasAllowList && candidates.some(([a, t]) => this.allowed.check(a, t))) return null;
    if (candidates.some(([a, t]) => internal.check(a, t)))
      return `${address} is a loopback or private address, which webhooks may not reach unless the webhook allow-list (MONTU_WEBHOOK_ALLOW_NETWORKS) names it`;
    return null;
  }

  /** The reason a URL's literal host is refused, or null (names are checked when connecting). */
  hostRefusal(url: URL): string | null {
    return this.refusal(url.hostname);
  }

  /** dns.lookup, minus the addresses webhooks may not reach. */
  readonly lookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, options.all ? [] : '');
      const allowed = addresses.filter((a) => this.refusal(a.address) === null);
      if (allowed.length === 0) {
        const e: NodeJS.ErrnoException = new Error(
          `${hostname} resolves only to addresses webhooks may not reach (${addresses
            .map((a) => this.refusal(a.address))
            .join('; ')})`,
        );
        e.code = 'EWEBHOOKADDRESS';
        return callback(e, options.all ? [] : '');
      }
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/** True for an address no webhook may reach under `targets` (default: no allow-list). */
export function isForbiddenWebhookAddress(address: string, targets = new WebhookTargets()): boolean {
  return targets.refusal(address) !== null;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * POSTs `body` to `url` and resolves with the response status (the body is read and dropped).
 * Redirects are not followed: a 3xx is just its status.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  targets: WebhookTargets,
): Promise<number> {
  const u = new URL(url);
  const refused = targets.hostRefusal(u);
  if (refused) return Promise.reject(Object.assign(new Error(refused), { code: 'EWEBHOOKADDRESS' }));
  const payload = Buffer.from(body, 'utf8');
  return new Promise<number>((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(payload.length) },
        lookup: targets.lookup,
        // One request per delivery: no pooled socket outlives it.
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    // The whole exchange, not only idle time, is bounded.
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('close', () => clearTimeout(timer));
    req.end(payload);
  });
}
