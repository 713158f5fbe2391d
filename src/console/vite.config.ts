// Built by `npm run build` (vite build src/console): static files under dist/console, served at /admin by
// src/http/console.ts. Paths here are relative to this folder, Vite's root.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/admin/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../../dist/console',
    emptyOutDir: true,
    // Every asset is a file with a hashed name: no data: URIs, so the CSP can stay at 'self'.
    assetsInlineLimit: 0,
    // Chromium, Firefox and Safari all support modulepreload; the polyfill would only add code.
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
