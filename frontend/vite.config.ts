/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url';

import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig, type ProxyOptions } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const DEFAULT_PORT = 5173;
const DEFAULT_EDGE_URL = 'http://127.0.0.1:8000';

/**
 * Same-origin paths served by the edge gateway. In development the Vite server
 * forwards them so the browser only ever talks to one origin (no CORS); in
 * production the nginx in front of the static bundle does the same.
 */
const EDGE_PATHS = ['/api', '/.well-known', '/healthz', '/readyz', '/docs', '/redoc', '/openapi.json'] as const;

function parsePort(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`FRONTEND_PORT must be an integer between 1 and 65535, got "${raw}"`);
  }
  return port;
}

function parseEdgeUrl(raw: string | undefined): string {
  const value = raw === undefined || raw.trim() === '' ? DEFAULT_EDGE_URL : raw.trim();
  try {
    return new URL(value).toString().replace(/\/$/, '');
  } catch {
    throw new Error(`EDGE_URL must be an absolute URL such as ${DEFAULT_EDGE_URL}, got "${value}"`);
  }
}

/**
 * The door app (/door) works offline: a service worker precaches the whole app shell (the bundle,
 * the QR reader's .wasm, icons) and answers navigations under /door with index.html; other paths
 * always go to the network. Only the door pages register it, in production builds only
 * (src/door/pwa.ts), so browsers that never opened a door never get one, and development has none.
 * Its scope is the whole origin so that it controls the door page at once (`clientsClaim`) even when
 * staff reached it from the sign-in page within the app: a client is claimed by the scope of the URL
 * it was created at.
 */
const doorServiceWorker = VitePWA({
  injectRegister: false,
  registerType: 'autoUpdate',
  // The manifest is public/door.webmanifest, linked by the door pages only.
  manifest: false,
  scope: '/',
  workbox: {
    globPatterns: ['**/*.{js,css,html,svg,png,wasm,webmanifest}'],
    // The QR reader's .wasm is about 1.1 MB.
    maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
    navigateFallback: '/index.html',
    navigateFallbackAllowlist: [/^\/door(?:\/|$)/],
    cleanupOutdatedCaches: true,
    clientsClaim: true,
    skipWaiting: true,
  },
});

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Proxy keys starting with `^` are regular expressions: match the exact path or a sub-path, never a mere prefix. */
function edgeProxy(target: string): Record<string, ProxyOptions> {
  return Object.fromEntries(
    EDGE_PATHS.map((path) => [`^${escapeRegExp(path)}(?:[/?]|$)`, { target, xfwd: true } satisfies ProxyOptions]),
  );
}

export default defineConfig(() => {
  const port = parsePort(process.env.FRONTEND_PORT, DEFAULT_PORT);
  const proxy = edgeProxy(parseEdgeUrl(process.env.EDGE_URL));

  return {
    plugins: [react(), tailwindcss(), doorServiceWorker],
    resolve: {
      alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
    },
    server: {
      host: '127.0.0.1',
      port,
      strictPort: true,
      proxy,
    },
    preview: {
      host: '127.0.0.1',
      port,
      strictPort: true,
      proxy,
    },
    build: {
      target: 'es2022',
      sourcemap: true,
      rolldownOptions: {
        output: {
          // React, React DOM and the router change less often than the app: their own chunk caches
          // apart and keeps each chunk under Vite's 500 kB warning (together they are about 310 kB).
          codeSplitting: {
            groups: [{ name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|react-router|scheduler)[\\/]/ }],
          },
        },
      },
    },
    test: {
      environment: 'jsdom',
      setupFiles: ['./src/test/setup.ts'],
      include: ['src/**/*.test.{ts,tsx}'],
      css: false,
      restoreMocks: true,
      unstubGlobals: true,
      // Keep CI machines responsive: two workers at most.
      maxWorkers: 2,
    },
  };
});
