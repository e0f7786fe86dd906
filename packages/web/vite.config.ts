import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// The app is served by `montu serve` at `/`; the dev server proxies the API to a running server.
export default defineConfig({
  plugins: [react()],
  base: '/',
  // @montu/client and @montu/domain are bundled from their TypeScript source (no build of them
  // needed first; tsconfig.json maps the same paths for type checking).
  resolve: {
    alias: {
      '@montu/client': fileURLToPath(new URL('../client/src/index.ts', import.meta.url)),
      '@montu/domain': fileURLToPath(new URL('../domain/src/index.ts', import.meta.url)),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsDir: 'assets',
  },
  server: {
    proxy: {
      '/api': process.env.MONTU_DEV_SERVER ?? 'http://127.0.0.1:8470',
    },
  },
});
