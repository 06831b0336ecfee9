import { useEffect } from 'react';

/** Sets `document.title` to "<title> · Taquilla" while the calling page is mounted. */
export function useDocumentTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · Taquilla` : 'Taquilla';
  }, [title]);
}
