/** Safety and size limits. Every one is configurable; the defaults suit a studio server. */
export interface Limits {
  /** Largest accepted upload, in bytes. */
  maxFileBytes: number;
  /** Most results one page may hold. */
  maxPageSize: number;
  /** Largest JSON document accepted for metadata or custom properties, in bytes. */
  maxJsonBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 200 * 1024 ** 3,
  maxPageSize: 500,
  maxJsonBytes: 256 * 1024,
};
