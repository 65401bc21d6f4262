import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The operator dashboard, built into dist/web and served by the Plexus
 * server at `/` (src/api/web.ts). `npm run dev:web` serves it with hot
 * reload and sends API calls to a server on :8080.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    proxy: {
      '/api': { target: process.env.PLEXUS_DEV_API ?? 'http://127.0.0.1:8080', ws: true },
    },
  },
});
