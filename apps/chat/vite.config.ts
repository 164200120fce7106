import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import tailwindcss from '@tailwindcss/vite';

// `vite` (dev) proxies the chat's endpoints and the realtime WebSocket to a Rowcast on :8080 (`npm start`),
// so the page talks to one origin in dev as it does in production.
const rowcast = process.env.ROWCAST_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [vue(), tailwindcss()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: {
    proxy: {
      '/auth': rowcast,
      '/api': rowcast,
      '/keys': rowcast,
      // The realtime WebSocket: the SDK opens ws://<page host>/?access_token=...
      '^/\\?.*access_token=': { target: rowcast, ws: true },
    },
  },
});
