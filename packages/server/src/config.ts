import fs from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';
import { maskUrl, ValidationError, type S3StorageConfig } from '@montu/core';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type ServerStorageConfig = { type: 'local'; root?: string } | ({ type: 's3' } & S3StorageConfig);

/** Everything `montu serve` needs. Precedence: flags > `MONTU_*` env > config file > defaults. */
export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** `postgres://…` or a SQLite path; `<dataDir>/montu.db` when unset. */
  databaseUrl?: string;
  storage: ServerStorageConfig;
  /** Redirect downloads to presigned URLs when the storage backend can make them. */
  presignDownloads: boolean;
  auth: {
    /** false = single-user mode acting as an admin; loopback only. */
    enabled: boolean;
    /** Login session lifetime. */
    sessionTtlSeconds: number;
  };
  /**
   * Which X-Forwarded-* hops to believe (behind a TLS-terminating proxy: Secure cookies, client
   * IPs for the login throttle). `false`: none; a number: that many proxies in front; a list:
   * the proxies' addresses or CIDR ranges (or `loopback`, `linklocal`, `uniquelocal`). Never
   * every hop: the client writes the first ones itself.
   */
  trustProxy: TrustProxy;
  limits: {
    /** Largest upload (multipart or tus), bytes. */
    maxUploadBytes: number;
    /** Largest JSON request body, bytes. */
    maxJsonBodyBytes: number;
    /** Largest total request header size, bytes (Node's maxHeaderSize). */
    maxHeaderBytes: number;
    /**
     * Upload requests (multipart, tus creation/PATCH, sequence frames) one user may have in
     * flight at once, per server process; beyond it 429 `rate_limited`. 0 = no cap.
     */
    maxConcurrentUploadsPerUser: number;
    /**
     * `/readyz` answers 503 when a volume the server writes to (the SQLite file's, local
     * storage's) has fewer free bytes than this. 0 = never.
     */
    minFreeBytes: number;
    /**
     * Seconds an ended upload session (tus or sequence) is kept, and an unfinished tus session may
     * sit idle, before start-up or `montu cleanup` prunes it (`MONTU_UPLOAD_SESSION_RETENTION_SECONDS`).
     */
    uploadSessionRetentionSeconds: number;
  };
  /** Where resumable (tus) uploads keep partial data; `<dataDir>/uploads` when unset. */
  uploadDir?: string;
  /** For the distributed job queue (scale mode); unused by the embedded server. */
  redisUrl?: string;
  /**
   * Work processing jobs in this process. Embedded (no Redis): always. Scale mode: only when
   * set (`--work`, `MONTU_WORK=1`); normally `montu worker` processes do the work.
   */
  work?: boolean;
  /** Serve /metrics without authentication (for a Prometheus scraper on a private network). */
  metricsPublic: boolean;
  logLevel: LogLevel;
  /** The config file that was read, if any. */
  configFile?: string;
  /**
   * Fail (500) any JSON answer whose response schema dropped a field the handler returned
   * (response-check.ts, decision 150). The test servers turn it on; it costs a parse per answer.
   */
  checkResponses?: boolean;
}

export type TrustProxy = false | number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * `trustProxy` from a flag, a variable or the config file: `true` (the flag without a value)
 * means one proxy in front, `false`/`0` none, a whole number that many, anything else a
 * comma-separated list of addresses or CIDR ranges.
 */
export function parseTrustProxy(v: unknown, name: string): TrustProxy | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === true || (typeof v === 'string' && /^(true|yes|on)$/i.test(v))) return 1;
  if (v === false || v === 0 || (typeof v === 'string' && /^(false|no|off|0)$/i.test(v))) return false;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) {
    const hops = Number(v);
    if (!Number.isSafeInteger(hops) || hops < 0 || hops > 32)
      throw new ValidationError(
        `${name} must be a number of proxies from 0 to 32, not ${JSON.stringify(v)}.`,
      );
    return hops === 0 ? false : hops;
  }
  const list = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : null;
  if (!list)
    throw new ValidationError(`${name} must be a number of proxies or a list of addresses/CIDR ranges.`);
  const out = list.map((x) => (typeof x === 'string' ? x.trim() : ''));
  for (const entry of out) {
    const [addr, prefix, extra] = entry.split('/');
    const family = isIP(addr ?? '');
    const bits = family === 4 ? 32 : 128;
    const okPrefix = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= bits);
    if (!PROXY_NAMES.has(entry) && (family === 0 || !okPrefix || extra !== undefined)) {
      throw new ValidationError(
        `${name}: ${JSON.stringify(entry)} is not an address, a CIDR range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal.`,
      );
    }
  }
  return out;
}

/** Flags as the CLI parses them (all optional; undefined means "not given"). */
export interface ServerFlags {
  config?: string;
  host?: string;
  port?: number | string;
  dataDir?: string;
  databaseUrl?: string;
  storage?: 'local' | 's3';
  storageRoot?: string;
  s3Bucket?: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3Prefix?: string;
  /** `--s3-force-path-style`: path-style addressing (MinIO, Ceph, s3rver). */
  s3ForcePathStyle?: boolean;
  /** `--no-auth` gives `auth: false`. */
  auth?: boolean;
  /** `--trust-proxy` alone gives true (one proxy); with a value, hops or addresses. */
  trustProxy?: boolean | string;
  maxUploadBytes?: number | string;
  maxConcurrentUploads?: number | string;
  redisUrl?: string;
  work?: boolean;
  logLevel?: LogLevel;
  presignDownloads?: boolean;
}

export const DEFAULT_CONFIG: ServerConfig = {
  host: '127.0.0.1',
  port: 8470,
  dataDir: './montu-data',
  storage: { type: 'local' },
  presignDownloads: false,
  auth: { enabled: true, sessionTtlSeconds: 7 * 86_400 },
  trustProxy: false,
  limits: {
    maxUploadBytes: 200 * 1024 ** 3,
    maxJsonBodyBytes: 1024 * 1024,
    maxHeaderBytes: 16 * 1024,
    maxConcurrentUploadsPerUser: 8,
    minFreeBytes: 256 * 1024 ** 2,
    uploadSessionRetentionSeconds: 7 * 86_400,
  },
  metricsPublic: false,
  logLevel: 'info',
};

type Partial2<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };

function bool(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ValidationError(`${name} must be true or false, not ${JSON.stringify(v)}.`);
}

function int(v: string | number | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ValidationError(`${name} must be a whole number, not ${JSON.stringify(v)}.`);
  return n;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function limitsLayer(
  maxUploadBytes: number | undefined,
  maxConcurrentUploadsPerUser: number | undefined,
  minFreeBytes?: number,
  uploadSessionRetentionSeconds?: number,
): Partial<ServerConfig['limits']> | undefined {
  const l = defined({
    maxUploadBytes,
    maxConcurrentUploadsPerUser,
    minFreeBytes,
    uploadSessionRetentionSeconds,
  });
  return Object.keys(l).length ? l : undefined;
}

/** The `MONTU_S3_*` settings that are set. */
function s3FromEnv(env: NodeJS.ProcessEnv): Partial<S3StorageConfig> {
  return defined({
    bucket: env['MONTU_S3_BUCKET'],
    endpoint: env['MONTU_S3_ENDPOINT'],
    region: env['MONTU_S3_REGION'],
    prefix: env['MONTU_S3_PREFIX'],
    accessKeyId: env['MONTU_S3_ACCESS_KEY_ID'],
    secretAccessKey: env['MONTU_S3_SECRET_ACCESS_KEY'],
    forcePathStyle: bool(env['MONTU_S3_FORCE_PATH_STYLE'], 'MONTU_S3_FORCE_PATH_STYLE'),
    directUploads: bool(env['MONTU_S3_DIRECT_UPLOADS'], 'MONTU_S3_DIRECT_UPLOADS'),
  });
}

function s3FromFlags(f: ServerFlags): Partial<S3StorageConfig> {
  return defined({
    bucket: f.s3Bucket,
    endpoint: f.s3Endpoint,
    region: f.s3Region,
    prefix: f.s3Prefix,
    forcePathStyle: f.s3ForcePathStyle,
  });
}

function fromEnv(env: NodeJS.ProcessEnv): Partial2<ServerConfig> {
  const storageType = env['MONTU_STORAGE_TYPE'] ?? env['MONTU_STORAGE'];
  const s3 = s3FromEnv(env);
  const storage =
    storageType === 's3' || (storageType === undefined && s3.bucket)
      ? { type: 's3' as const, ...s3 }
      : storageType === 'local' || env['MONTU_STORAGE_ROOT']
        ? defined({ type: 'local' as const, root: env['MONTU_STORAGE_ROOT'] })
        : undefined;
  return defined({
    host: env['MONTU_HOST'],
    port: int(env['MONTU_PORT'], 'MONTU_PORT'),
    dataDir: env['MONTU_DATA_DIR'],
    databaseUrl: env['MONTU_DATABASE_URL'],
    storage: storage as ServerStorageConfig | undefined,
    presignDownloads: bool(env['MONTU_PRESIGN_DOWNLOADS'], 'MONTU_PRESIGN_DOWNLOADS'),
    auth:
      bool(env['MONTU_AUTH'], 'MONTU_AUTH') === undefined
        ? undefined
        : { enabled: bool(env['MONTU_AUTH'], 'MONTU_AUTH')! },
    trustProxy: parseTrustProxy(env['MONTU_TRUST_PROXY'], 'MONTU_TRUST_PROXY'),
    limits: limitsLayer(
      int(env['MONTU_MAX_UPLOAD_BYTES'], 'MONTU_MAX_UPLOAD_BYTES'),
      int(env['MONTU_MAX_CONCURRENT_UPLOADS'], 'MONTU_MAX_CONCURRENT_UPLOADS'),
      int(env['MONTU_MIN_FREE_BYTES'], 'MONTU_MIN_FREE_BYTES'),
      int(env['MONTU_UPLOAD_SESSION_RETENTION_SECONDS'], 'MONTU_UPLOAD_SESSION_RETENTION_SECONDS'),
    ),
    uploadDir: env['MONTU_UPLOAD_DIR'],
    redisUrl: env['MONTU_REDIS_URL'],
    work: bool(env['MONTU_WORK'], 'MONTU_WORK'),
    metricsPublic: bool(env['MONTU_METRICS_PUBLIC'], 'MONTU_METRICS_PUBLIC'),
    logLevel: env['MONTU_LOG_LEVEL'] as LogLevel | undefined,
  });
}

function fromFlags(f: ServerFlags): Partial2<ServerConfig> {
  const s3 = s3FromFlags(f);
  const storage =
    f.storage === 's3' || (f.storage === undefined && s3.bucket)
      ? { type: 's3' as const, ...s3 }
      : f.storage === 'local' || f.storageRoot
        ? defined({ type: 'local' as const, root: f.storageRoot })
        : undefined;
  return defined({
    host: f.host,
    port: int(f.port, '--port'),
    dataDir: f.dataDir,
    databaseUrl: f.databaseUrl,
    storage: storage as ServerStorageConfig | undefined,
    presignDownloads: f.presignDownloads,
    auth: f.auth === undefined ? undefined : { enabled: f.auth },
    trustProxy: parseTrustProxy(f.trustProxy, '--trust-proxy'),
    limits: limitsLayer(
      int(f.maxUploadBytes, '--max-upload-bytes'),
      int(f.maxConcurrentUploads, '--max-concurrent-uploads'),
    ),
    redisUrl: f.redisUrl,
    work: f.work,
    logLevel: f.logLevel,
  });
}

function readFile(file: string): Partial2<ServerConfig> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ValidationError(`Cannot read the config file ${file}: ${(e as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not a JSON object');
    return parsed as Partial2<ServerConfig>;
  } catch (e) {
    throw new ValidationError(`The config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Merges layers: objects merge one level deep (storage is replaced when its type changes). */
function merge(base: ServerConfig, layer: Partial2<ServerConfig>): ServerConfig {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(layer)) {
    if (v === undefined) continue;
    const cur = out[k];
    if (
      k === 'storage' &&
      typeof v === 'object' &&
      (v as { type?: string }).type !== (cur as { type?: string }).type
    ) {
      out[k] = v;
    } else if (
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      typeof cur === 'object' &&
      cur !== null
    ) {
      out[k] = { ...cur, ...v };
    } else out[k] = v;
  }
  return out as unknown as ServerConfig;
}

/**
 * The effective configuration: flags > `MONTU_*` environment > config file (`--config`,
 * `MONTU_CONFIG`, or `montu.config.json` in the working directory) > defaults.
 */
export function loadConfig(
  flags: ServerFlags = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): ServerConfig {
  const explicit = flags.config ?? env['MONTU_CONFIG'];
  const candidate = explicit ?? path.join(cwd, 'montu.config.json');
  let config = structuredClone(DEFAULT_CONFIG);
  let configFile: string | undefined;
  if (explicit !== undefined || fs.existsSync(candidate)) {
    configFile = path.resolve(cwd, candidate);
    config = merge(config, readFile(configFile));
  }
  const envLayer = fromEnv(env);
  config = merge(config, envLayer);
  config = merge(config, fromFlags(flags));
  if (config.storage.type === 's3' && envLayer.storage?.type !== 's3') {
    // S3 chosen by a flag or the file while the environment names no storage: its MONTU_S3_*
    // settings (credentials, endpoint, path style) still apply, above the file, below the flags.
    config.storage = { ...config.storage, ...s3FromEnv(env), ...s3FromFlags(flags), type: 's3' };
  }
  if (configFile) config.configFile = configFile;
  config.dataDir = path.resolve(cwd, config.dataDir);
  validate(config);
  return config;
}

function validate(c: ServerConfig): void {
  c.trustProxy = parseTrustProxy(c.trustProxy, 'trustProxy') ?? false;
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535)
    throw new ValidationError(`port must be 0-65535, not ${c.port}.`);
  if (typeof c.host !== 'string' || !c.host) throw new ValidationError('host is required.');
  if (c.storage.type !== 'local' && c.storage.type !== 's3') {
    throw new ValidationError(
      `storage.type must be "local" or "s3", not ${JSON.stringify((c.storage as { type: unknown }).type)}.`,
    );
  }
  if (c.storage.type === 's3' && !c.storage.bucket)
    throw new ValidationError('S3 storage needs a bucket (storage.bucket or MONTU_S3_BUCKET).');
  const levels: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(c.logLevel))
    throw new ValidationError(`logLevel must be one of ${levels.join(', ')}.`);
}

const SECRET_KEYS = /secret|password|token|sessionToken|accessKeyId/i;

/** The configuration with secrets masked, for logs and `montu config`. */
export function describeConfig(config: ServerConfig): Record<string, unknown> {
  const mask = (v: unknown, key: string): unknown => {
    if (typeof v === 'string' && SECRET_KEYS.test(key)) return v ? '****' : v;
    if (typeof v === 'string' && /url$/i.test(key)) return maskUrl(v);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mask(x, k)]));
    }
    return v;
  };
  return mask(config, '') as Record<string, unknown>;
}

/** True when `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
