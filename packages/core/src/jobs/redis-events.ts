import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EventBus, MontuEvent } from '../events.js';

/**
 * Carries library events between processes over Redis pub/sub, so an API server's SSE stream
 * shows progress made by workers on other machines. Each process republishes what others sent
 * into its own bus and forwards its own events; the origin id stops echoes.
 */
export class RedisEventBridge {
  private pub: Redis | null = null;
  private sub: Redis | null = null;
  private off: (() => void) | null = null;
  private readonly origin = randomUUID();
  private relaying = false;

  constructor(
    private readonly url: string,
    private readonly bus: EventBus,
    private readonly channel: string,
  ) {}

  async start(): Promise<void> {
    if (this.pub) return;
    // ioredis is loaded for scale mode only: embedded runs start without it.
    const { Redis } = await import('ioredis');
    if (this.pub) return;
    this.pub = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    this.sub = new Redis(this.url, { lazyConnect: true });
    this.pub.on('error', () => undefined);
    this.sub.on('error', () => undefined);
    await this.pub.connect();
    await this.sub.connect();
    await this.sub.subscribe(this.channel);
    this.sub.on('message', (_channel: string, message: string) => {
      let parsed: { origin?: string; event?: MontuEvent };
      try {
        parsed = JSON.parse(message) as { origin?: string; event?: MontuEvent };
      } catch {
        return;
      }
      if (parsed.origin === this.origin || !parsed.event) return;
      this.relaying = true;
      try {
        this.bus.publish(parsed.event, { relayed: true });
      } finally {
        this.relaying = false;
      }
    });
    this.off = this.bus.subscribe((event) => {
      if (this.relaying) return;
      void this.pub
        ?.publish(this.channel, JSON.stringify({ origin: this.origin, event }))
        .catch(() => undefined);
    });
  }

  async stop(): Promise<void> {
    this.off?.();
    this.off = null;
    await this.sub?.quit().catch(() => undefined);
    await this.pub?.quit().catch(() => undefined);
    this.sub = null;
    this.pub = null;
  }
}
