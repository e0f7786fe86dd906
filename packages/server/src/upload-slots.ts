import type { FastifyInstance } from 'fastify';
import { HttpProblem } from './problem.js';
import { installEarlyAnswers } from './early-answers.js';
import { isUploadRequest } from './upload-routes.js';

/** Upload requests in flight per user (in memory, per server process). */
export class UploadSlots {
  private readonly inFlight = new Map<string, number>();

  /** `perUser` 0 = no cap. */
  constructor(readonly perUser: number) {}

  /** A release function, or undefined when the user already has `perUser` uploads in flight. */
  tryAcquire(userId: string): (() => void) | undefined {
    const n = this.inFlight.get(userId) ?? 0;
    if (this.perUser > 0 && n >= this.perUser) return undefined;
    this.inFlight.set(userId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(userId) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(userId);
      else this.inFlight.set(userId, left);
    };
  }

  count(userId: string): number {
    return this.inFlight.get(userId) ?? 0;
  }
}

/**
 * Caps concurrent upload requests per user: the request beyond the cap gets 429 `rate_limited`
 * before any of its body is read. A slot is held until the response is finished or the
 * connection closes (also for tus, whose handler takes over the raw response).
 */
export function installUploadSlots(
  app: FastifyInstance,
  perUser: number,
  maxUploadBytes: number,
): UploadSlots {
  const slots = new UploadSlots(perUser);
  installEarlyAnswers(app, maxUploadBytes);
  // Synchronous (a throw is the 429): it runs on every request (decision 166).
  app.addHook('preHandler', (req, reply, done) => {
    if (perUser <= 0 || !isUploadRequest(req)) return done();
    const userId = req.principal?.user?.id;
    if (!userId) return done();
    const release = slots.tryAcquire(userId);
    if (!release) {
      throw new HttpProblem(
        429,
        'rate_limited',
        `Too many uploads at once: at most ${perUser} concurrent uploads per user; wait for one to finish and retry.`,
        { maxConcurrentUploads: perUser, retryAfterSeconds: 1 },
        { 'retry-after': '1' },
      );
    }
    reply.raw.once('close', release);
    reply.raw.once('finish', release);
    done();
  });
  return slots;
}
