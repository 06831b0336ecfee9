import { useEffect } from 'react';

const MANIFEST_HREF = '/door.webmanifest';

/**
 * Makes the door an installable app that opens offline: links its web manifest (only the door
 * pages do, the shop is not an app) and, in production builds, registers the service worker
 * that precaches the app and serves /door offline (see vite.config.ts). Development and tests never
 * register one, so they always run the code being edited.
 */
export function useDoorApp(): void {
  useEffect(() => {
    let link = document.head.querySelector<HTMLLinkElement>(`link[rel="manifest"][href="${MANIFEST_HREF}"]`);
    if (link === null) {
      link = document.createElement('link');
      link.rel = 'manifest';
      link.href = MANIFEST_HREF;
      document.head.append(link);
    }
    if (import.meta.env.PROD && 'serviceWorker' in navigator) {
      void import('virtual:pwa-register')
        .then(({ registerSW }) => registerSW({ immediate: true }))
        .catch(() => undefined);
    }
  }, []);
}
