import os from 'node:os';

/**
 * Identifies this process as the owner of in-flight work (temporary files, version
 * reservations), so that another process can tell what a crashed process left behind.
 */
export const HOST =
  os
    .hostname()
    .replace(/[^A-Za-z0-9.-]/g, '_')
    .slice(0, 64) || 'host';
export const OWNER = `${HOST}~${process.pid}`;

/**
 * Owner of work a client resumes (an HTTP sequence upload): no process owns it, so a restart of
 * the server that started it does not end it; only its age (ABANDONED_AFTER_MS) or the client does.
 */
export const CLIENT_OWNER = 'client';

/** True when `owner` is this machine's process that is no longer running. */
export function ownerIsDeadLocalProcess(owner: string): boolean {
  const [host, pidText] = owner.split('~');
  if (host !== HOST || !pidText) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Work older than this is considered abandoned whoever owns it. */
export const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;
