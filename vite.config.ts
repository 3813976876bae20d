import { defineConfig } from 'vite';

// The web app lives in web/ and builds to dist/web, which the server serves.
// `npm run dev` runs this dev server with /api proxied to the API server on PORT (8080).
export default defineConfig({
  root: 'web',
  build: { outDir: '../dist/web', emptyOutDir: true, target: 'es2022' },
  server: {
    port: 5173,
    proxy: { '/api': `http://127.0.0.1:${process.env.PORT ?? '8080'}` },
  },
});
