/**
 * Names of people as Montu records them. A pipeline publishes on behalf of artists: the person
 * named (author, submitter, approver) is recorded as given, and history tells who really acted.
 */

/** The history actor for `name` acting through `via`: `John Doe via pipeline (publish-hook)`. */
export function actingName(name: string, via?: string | null): string {
  return via && via !== name ? `${name} via ${via}` : name;
}

/** The form two names are compared in: case, width and composition do not matter. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase();
}

/** The longest lifetime of an API token, in days (about ten years). */
export const TOKEN_MAX_DAYS = 3650;
