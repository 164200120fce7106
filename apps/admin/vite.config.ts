import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import tailwindcss from '@tailwindcss/vite';

// Served by Rowcast at /admin; `vite` (dev) proxies the admin API to a Rowcast on :8080.
const rowcast = process.env.ROWCAST_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/admin/',
  plugins: [vue(), tailwindcss()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/admin/api': rowcast } },
});
