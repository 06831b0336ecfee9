import { type RouteObject } from 'react-router';

import { AppLayout } from '@/components/AppLayout';
import { DoorGate } from '@/components/door/DoorGate';
import { RequireAuth } from '@/components/RequireAuth';
import { RootErrorBoundary } from '@/components/RootErrorBoundary';
import { RouteErrorBoundary } from '@/components/RouteErrorBoundary';
import { DOOR_KEEPERS } from '@/door/access';
import { AdminUsersPage } from '@/pages/AdminUsersPage';
import { AdminAuditPage, OrganizationAuditPage } from '@/pages/AuditPage';
import { CheckoutPage } from '@/pages/CheckoutPage';
import { DoorPage } from '@/pages/DoorPage';
import { DoorStationPage } from '@/pages/DoorStationPage';
import { EventDetailPage } from '@/pages/EventDetailPage';
import { EventCheckinConflictsPage } from '@/pages/EventCheckinConflictsPage';
import { EditEventPage, NewEventPage } from '@/pages/EventFormPage';
import { EventOrdersPage } from '@/pages/EventOrdersPage';
import { EventReportPage } from '@/pages/EventReportPage';
import { EventsPage } from '@/pages/EventsPage';
import { HomePage } from '@/pages/HomePage';
import { LoginPage } from '@/pages/LoginPage';
import { MePage } from '@/pages/MePage';
import { MyEventsPage } from '@/pages/MyEventsPage';
import { MyOrdersPage } from '@/pages/MyOrdersPage';
import { MyReservationsPage } from '@/pages/MyReservationsPage';
import { MyTicketsPage } from '@/pages/MyTicketsPage';
import { MyWaitlistPage } from '@/pages/MyWaitlistPage';
import { NotFoundPage } from '@/pages/NotFoundPage';
import { OrderPage } from '@/pages/OrderPage';
import { OrganizationReportPage } from '@/pages/OrganizationReportPage';
import { QueuePage } from '@/pages/QueuePage';
import { RegisterPage } from '@/pages/RegisterPage';
import { StatusPage } from '@/pages/StatusPage';
import { TransferPage } from '@/pages/TransferPage';
import { WebhooksPage } from '@/pages/WebhooksPage';

const EVENT_EDITORS = ['organizer', 'admin'] as const;

const page = (path: string, element: RouteObject['element']): RouteObject => ({
  path,
  element,
  errorElement: <RouteErrorBoundary />,
});

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
      page('status', <StatusPage />),
      page('events', <EventsPage />),
      page(
        'events/new',
        <RequireAuth roles={EVENT_EDITORS} redirectTo="/events">
          <NewEventPage />
        </RequireAuth>,
      ),
      page('events/:id', <EventDetailPage />),
      page(
        'events/:id/queue',
        <RequireAuth>
          <QueuePage />
        </RequireAuth>,
      ),
      page(
        'events/:id/edit',
        <RequireAuth roles={EVENT_EDITORS} redirectTo="/events">
          <EditEventPage />
        </RequireAuth>,
      ),
      page(
        'events/:id/orders',
        <RequireAuth roles={EVENT_EDITORS} redirectTo="/events">
          <EventOrdersPage />
        </RequireAuth>,
      ),
      page(
        'events/:id/report',
        <RequireAuth roles={EVENT_EDITORS} redirectTo="/events">
          <EventReportPage />
        </RequireAuth>,
      ),
      page(
        'organizations/:id/report',
        <RequireAuth roles={EVENT_EDITORS} redirectTo="/events">
          <OrganizationReportPage />
        </RequireAuth>,
      ),
      page(
        'events/:id/checkin-conflicts',
        <RequireAuth roles={DOOR_KEEPERS} redirectTo="/events">
          <EventCheckinConflictsPage />
        </RequireAuth>,
      ),
      page(
        'checkout/:reservationId',
        <RequireAuth>
          <CheckoutPage />
        </RequireAuth>,
      ),
      page(
        'orders/:id',
        <RequireAuth>
          <OrderPage />
        </RequireAuth>,
      ),
      page(
        'transfers/:id',
        <RequireAuth>
          <TransferPage />
        </RequireAuth>,
      ),
      page('login', <LoginPage />),
      page('register', <RegisterPage />),
      page(
        'me',
        <RequireAuth>
          <MePage />
        </RequireAuth>,
      ),
      page(
        'me/events',
        <RequireAuth roles={EVENT_EDITORS} redirectTo="/me">
          <MyEventsPage />
        </RequireAuth>,
      ),
      page(
        'me/reservations',
        <RequireAuth>
          <MyReservationsPage />
        </RequireAuth>,
      ),
      page(
        'me/waitlist',
        <RequireAuth>
          <MyWaitlistPage />
        </RequireAuth>,
      ),
      page(
        'me/orders',
        <RequireAuth>
          <MyOrdersPage />
        </RequireAuth>,
      ),
      page(
        'me/tickets',
        <RequireAuth>
          <MyTicketsPage />
        </RequireAuth>,
      ),
      page(
        'door',
        <RequireAuth roles={DOOR_KEEPERS}>
          <DoorPage />
        </RequireAuth>,
      ),
      page(
        'door/:sessionId',
        <DoorGate>
          <DoorStationPage />
        </DoorGate>,
      ),
      page(
        'organizer/webhooks',
        <RequireAuth roles={['organizer']} redirectTo="/events">
          <WebhooksPage />
        </RequireAuth>,
      ),
      page(
        'admin/users',
        <RequireAuth roles={['admin']}>
          <AdminUsersPage />
        </RequireAuth>,
      ),
      page(
        'admin/audit',
        <RequireAuth roles={['admin']}>
          <AdminAuditPage />
        </RequireAuth>,
      ),
      page(
        'organization/audit',
        <RequireAuth roles={['organizer']} redirectTo="/">
          <OrganizationAuditPage />
        </RequireAuth>,
      ),
      page('*', <NotFoundPage />),
    ],
  },
];
