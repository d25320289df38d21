import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The app is embedded in the kpi-ops binary (rust-embed over web/dist). `npm run dev` proxies the
// API to a local server (KPI_API, default http://127.0.0.1:8000).
const api = process.env.KPI_API ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [
    vue({
      template: {
        // RevoGrid's web components are custom elements, not Vue components.
        compilerOptions: { isCustomElement: (tag) => tag.startsWith('revo-') },
      },
    }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
  },
  server: { proxy: { '/api': api, '/health': api } },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
});
