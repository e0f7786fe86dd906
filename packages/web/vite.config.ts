import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is served by `montu serve` at `/`; the dev server proxies the API to a running server.
export default defineConfig({
  plugins: [react()],
  base: '/',
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
