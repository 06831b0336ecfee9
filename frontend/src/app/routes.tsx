import { type RouteObject } from 'react-router';

import { AppLayout } from '@/components/AppLayout';
import { RootErrorBoundary } from '@/components/RootErrorBoundary';
import { RouteErrorBoundary } from '@/components/RouteErrorBoundary';
import { HomePage } from '@/pages/HomePage';
import { NotFoundPage } from '@/pages/NotFoundPage';
import { StatusPage } from '@/pages/StatusPage';

/**
 * Route table shared by the browser router (main.tsx) and memory routers in tests.
 * Every child route gets its own `errorElement` so a failing page is contained
 * inside the layout; the root one only catches layout failures.
 */
export const routes: RouteObject[] = [
  {
    path: '/',
    element: <AppLayout />,
    errorElement: <RootErrorBoundary />,
    children: [
      { index: true, element: <HomePage />, errorElement: <RouteErrorBoundary /> },
      { path: 'status', element: <StatusPage />, errorElement: <RouteErrorBoundary /> },
      { path: '*', element: <NotFoundPage />, errorElement: <RouteErrorBoundary /> },
    ],
  },
];
