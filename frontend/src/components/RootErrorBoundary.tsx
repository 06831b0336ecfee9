import { RouteErrorBoundary } from './RouteErrorBoundary';

/** Last-resort boundary used when the layout itself fails: keeps a main landmark around the fallback. */
export function RootErrorBoundary() {
  return (
    <main id="main" className="min-h-screen bg-slate-50 px-4 text-slate-900">
      <RouteErrorBoundary />
    </main>
  );
}
