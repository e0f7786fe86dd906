/**
 * A TCP proxy to a server that cuts the first connection once it has carried `cutAfter` bytes
 * towards the server, and records the request heads it passes (connections are reused, so not
 * only at a connection's start): what an interrupted, resumed upload is tested through.
 */
import net from 'node:net';

export interface CuttingProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Request heads (method line and headers, as sent) of the API requests passed on. */
  heads: string[];
  /** True once the cut happened. */
  readonly cut: boolean;
  /** Stops listening and drops every connection (idle keep-alive ones would hold close() open). */
  close(): Promise<void>;
}

export async function cuttingProxy(target: string, cutAfter: number): Promise<CuttingProxy> {
  const to = new URL(target);
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  let cut = false;
  const proxy = net.createServer((client) => {
    sockets.add(client);
    const upstream = net.connect(Number(to.port), to.hostname);
    let carried = 0;
    client.on('data', (d: Buffer) => {
      const start = d.subarray(0, 1024).toString('latin1');
      if (/^(GET|HEAD|POST|PATCH|PUT|DELETE) \/api\//.test(start)) heads.push(start);
      carried += d.length;
      if (!cut && carried > cutAfter) {
        cut = true;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    heads,
    get cut() {
      return cut;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
    },
  };
}

/** The Upload-Offset of each tus PATCH that went through, in order. */
export function patchOffsets(heads: string[]): number[] {
  return heads
    .filter((h) => h.startsWith('PATCH /api/v1/uploads/'))
    .map((h) => Number(/upload-offset: (\d+)/i.exec(h)?.[1]));
}
