import type { Montu } from '@montu/core';
import type { ServerConfig } from './config.js';
import type { ServerMetrics } from './metrics.js';

/** What route modules share (their own module, so routes need not import the app that registers them). */
export interface AppContext {
  montu: Montu;
  config: ServerConfig;
  metrics: ServerMetrics;
}

declare module 'fastify' {
  interface FastifyInstance {
    montu: AppContext;
  }
}

export const API_PREFIX = '/api/v1';
