import { type ReactNode } from 'react';

import { refreshTokenStore } from '@/auth/session';
import { RequireAuth } from '@/components/RequireAuth';
import { DOOR_KEEPERS } from '@/door/access';
import { useAuthStore } from '@/store/auth';

/**
 * The door works with no network, reloads included. Signing back in on a reload needs the edge, so
 * a page loaded offline stays anonymous while its refresh token waits in the tab: the door then
 * opens on what the device holds, and signs back in when the network returns. Everyone else goes
 * through RequireAuth (staff, organizers and admins only).
 */
export function DoorGate({ children }: { children: ReactNode }) {
  const status = useAuthStore((s) => s.status);
  if (status === 'anonymous' && refreshTokenStore.get() !== null) return children;
  return <RequireAuth roles={DOOR_KEEPERS}>{children}</RequireAuth>;
}
