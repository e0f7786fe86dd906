/** Safety and size limits. Every one is configurable; the defaults suit a studio server. */
export interface Limits {
  /** Largest accepted upload, in bytes. */
  maxFileBytes: number;
  /** Most results one page may hold. */
  maxPageSize: number;
  /** Largest JSON document accepted for metadata or custom properties, in bytes. */
  maxJsonBytes: number;
  /**
   * How long an upload session (tus or sequence) is kept after it ended — its outcome stays
   * answerable (`GET /uploads/:id/result`) — and how long an unfinished tus session may sit idle
   * before it counts as expired; then the maintenance path prunes it. Seconds; default 7 days.
   */
  uploadSessionRetentionSeconds: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 200 * 1024 ** 3,
  maxPageSize: 500,
  maxJsonBytes: 256 * 1024,
  uploadSessionRetentionSeconds: 7 * 86_400,
};
