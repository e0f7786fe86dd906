/**
 * Sending one webhook request. Webhook URLs are set by admins, but the server makes the request
 * from inside the studio network, so a URL is a way to reach whatever that network can. Most of
 * that is legitimate (pipeline services on private addresses, a tool on loopback); link-local
 * addresses are not: on cloud machines 169.254.169.254 (and fd00:ec2::254) is the metadata
 * service that hands out the machine's credentials. Those, and addresses that are not a single
 * host, are refused — for literal addresses when the webhook is saved, and for names at every
 * connection, on the address the name resolves to then (a name that later resolves elsewhere
 * gains nothing).
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

const forbidden = new net.BlockList();
forbidden.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, cloud metadata services
forbidden.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network"
forbidden.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
forbidden.addAddress('255.255.255.255', 'ipv4'); // broadcast
forbidden.addSubnet('fe80::', 10, 'ipv6'); // link-local
forbidden.addAddress('fd00:ec2::254', 'ipv6'); // AWS's metadata service over IPv6
forbidden.addAddress('::', 'ipv6');
forbidden.addSubnet('ff00::', 8, 'ipv6'); // multicast

/** True for an address no webhook may reach (IPv4-mapped IPv6 counts as its IPv4 address). */
export function isForbiddenWebhookAddress(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const family = net.isIP(bare);
  if (family === 0) return false;
  return forbidden.check(bare, family === 6 ? 'ipv6' : 'ipv4');
}

/** The reason a URL's literal host is refused, or null (names are checked when connecting). */
export function forbiddenWebhookHost(url: URL): string | null {
  return isForbiddenWebhookAddress(url.hostname)
    ? `${url.hostname} is a link-local, multicast or unspecified address, which webhooks may not reach`
    : null;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/** dns.lookup, minus the addresses webhooks may not reach. */
function checkedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, options.all ? [] : '');
    const allowed = addresses.filter((a) => !isForbiddenWebhookAddress(a.address));
    if (allowed.length === 0) {
      const e: NodeJS.ErrnoException = new Error(
        `${hostname} resolves to ${addresses.map((a) => a.address).join(', ')}: a link-local, multicast or unspecified address, which webhooks may not reach`,
      );
      e.code = 'EWEBHOOKADDRESS';
      return callback(e, options.all ? [] : '');
    }
    if (options.all) return callback(null, allowed);
    callback(null, allowed[0]!.address, allowed[0]!.family);
  });
}

/**
 * POSTs `body` to `url` and resolves with the response status (the body is read and dropped).
 * Redirects are not followed: a 3xx is just its status.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const u = new URL(url);
  const refused = forbiddenWebhookHost(u);
  if (refused) return Promise.reject(new Error(refused));
  const payload = Buffer.from(body, 'utf8');
  return new Promise<number>((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(payload.length) },
        lookup: checkedLookup,
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
