import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `scripts/bootstrap.sh` builds the prober (package root/native/build). */
export const AVPROBE_BUILD_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../native/build/montu-avprobe',
);

/** The prober to use: `MONTU_AVPROBE` ("off" disables it), else the bootstrap's build if present. */
export function findAvprobe(setting: string | undefined): string | null {
  if (setting === 'off') return null;
  const file = setting || AVPROBE_BUILD_PATH;
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    return null;
  }
}
