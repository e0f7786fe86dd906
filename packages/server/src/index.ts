/**
 * @montu/server — the Montu HTTP service.
 *
 * For the CLI: `loadConfig(flags)` → `ServerConfig` (flags > MONTU_* env > montu.config.json > defaults),
 * `describeConfig(config)` (secrets masked) for `montu config`, and `startServer(config)` for `montu serve`.
 * For embedding and tests: `createServer({ montu, config, logger })` builds the Fastify app.
 */
export { createServer, API_PREFIX, type CreateServerOptions, type AppContext } from './app.js';
export { startServer, type RunningServer, type StartServerOptions } from './start.js';
export {
  loadConfig,
  describeConfig,
  isLoopbackHost,
  DEFAULT_CONFIG,
  type ServerConfig,
  type ServerFlags,
  type ServerStorageConfig,
  type LogLevel,
  parseTrustProxy,
  type TrustProxy,
} from './config.js';
export { HttpProblem, STATUS_OF, type Problem, type ProblemCode } from './problem.js';
export { SESSION_COOKIE, CSRF_HEADER, requireRole, requireInstanceAdmin, scopeOf, actorOf } from './auth.js';
