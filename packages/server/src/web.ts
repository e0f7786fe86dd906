/**
 * Serves the built web app (`@montu/web`'s `dist`) at `/`: static files with an SPA fallback to
 * index.html for non-API paths, long immutable caching for Vite's hashed assets, and a strict
 * Content-Security-Policy. No Node tooling at run time: only the files shipped in the package.
 * See docs/web.md and docs/decisions/061-web-static-serving.md.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface WebAppOptions {
  /** Directory with index.html and assets/; default: `@montu/web`'s dist. */
  root?: string;
  /**
   * Other origins the page may send requests to: the bucket, when uploads go straight to it
   * (decision 160); added to `connect-src`.
   */
  connectOrigins?: string[];
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The app needs: its own scripts and styles (style attributes for positions), images and media from
 * the API and from blob: URLs (local previews before upload, canvas exports), XHR/fetch/SSE to itself.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_APP = /^\/(api|healthz|readyz|metrics)(\/|$|\?)/;

export function defaultWebRoot(): string | null {
  const candidates: string[] = [];
  try {
    const require = createRequire(import.meta.url);
    candidates.push(path.join(path.dirname(require.resolve('@montu/web/package.json')), 'dist'));
  } catch {
    // @montu/web not installed next to the server: try the monorepo layout.
  }
  candidates.push(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist'));
  return candidates.find((c) => existsSync(path.join(c, 'index.html'))) ?? null;
}

interface StaticFile {
  abs: string;
  size: number;
  etag: string;
  type: string;
  immutable: boolean;
}

function listFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(abs);
      else if (entry.isFile()) {
        const st = statSync(abs);
        const rel = '/' + path.relative(root, abs).split(path.sep).join('/');
        files.set(rel, {
          abs,
          size: st.size,
          etag: `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
          type: TYPES[path.extname(entry.name).toLowerCase()] ?? 'application/octet-stream',
          // Vite puts content-hashed names under assets/.
          immutable: rel.startsWith('/assets/'),
        });
      }
    }
  };
  walk(root);
  return files;
}

/** WEB_CSP with `connect-src` widened to these origins. */
export function webCsp(connectOrigins: string[] = []): string {
  if (connectOrigins.length === 0) return WEB_CSP;
  return WEB_CSP.replace("connect-src 'self'", `connect-src 'self' ${connectOrigins.join(' ')}`);
}

function send(req: FastifyRequest, reply: FastifyReply, file: StaticFile, csp: string): FastifyReply {
  reply
    .header('content-type', file.type)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('etag', file.etag)
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (file.type.startsWith('text/html'))
    reply.header('content-security-policy', csp).header('x-frame-options', 'DENY');
  if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
  reply.header('content-length', file.size);
  if (req.method === 'HEAD') return reply.send();
  return reply.send(createReadStream(file.abs));
}

function notFound(reply: FastifyReply): FastifyReply {
  reply.callNotFound();
  return reply;
}

/** Fastify plugin: `app.register(webApp)` after the API routes. */
export async function webApp(app: FastifyInstance, options: WebAppOptions = {}): Promise<void> {
  const root = options.root ?? defaultWebRoot();
  const files = root ? listFiles(root) : new Map<string, StaticFile>();
  const index = files.get('/index.html');
  const csp = webCsp(options.connectOrigins);
  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const url = req.url.split('?')[0] ?? '/';
    if (NOT_APP.test(url)) return notFound(reply);
    let rel: string;
    try {
      rel = decodeURIComponent(url);
    } catch {
      return notFound(reply);
    }
    const file = files.get(rel === '/' ? '/index.html' : rel);
    if (file) return send(req, reply, file, csp);
    // A missing hashed asset must be a 404 (not index.html, which the browser would run as script).
    if (rel.startsWith('/assets/') || path.extname(rel) !== '') return notFound(reply);
    if (!index) {
      return reply
        .code(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .send('The Montu web app is not built. Run `npm run build` (or use the API under /api/v1).');
    }
    return send(req, reply, index, csp);
  };
  app.route({ method: 'GET', url: '/', config: { public: true }, schema: { hide: true }, handler });
  app.route({ method: 'GET', url: '/*', config: { public: true }, schema: { hide: true }, handler });
}
