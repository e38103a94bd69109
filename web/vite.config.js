import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// Everything is bundled into dist/ and served by cuofeng-web: no CDN at run time.
export default defineConfig({
  plugins: [vue()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
});
