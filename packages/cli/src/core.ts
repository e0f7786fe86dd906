/**
 * The core library, loaded on first use. Importing `@montu/core` loads the database drivers,
 * sharp and the AWS SDK (~0.5 s per invocation, decision 072): commands that talk to a server
 * never need them, so only the commands that open a data directory load it, and everything
 * else imports `@montu/core/basics`.
 */
export type Core = typeof import('@montu/core');

export function loadCore(): Promise<Core> {
  return import('@montu/core');
}
