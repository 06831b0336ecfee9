import { type ReactNode } from 'react';

import { sessionHint } from '@/auth/session';
import { RequireAuth } from '@/components/RequireAuth';
import { DOOR_KEEPERS } from '@/door/access';
import { useAuthStore } from '@/store/auth';

/**
 * The door works with no network, reloads included. Signing back in on a reload needs the edge, so
 * a page loaded offline stays anonymous while its refresh cookie waits in the browser: the door then
 * opens on what the device holds, and signs back in when the network returns (its requests wait
 * for that refresh). The door is rendered in the same place throughout, so signing back in does not
 * restart it. Anyone else goes through RequireAuth: to sign in, or away without the role.
 */
export function DoorGate({ children }: { children: ReactNode }) {
  const status = useAuthStore((s) => s.status);
  const role = useAuthStore((s) => s.user?.role);
  const signingBackIn = (status === 'restoring' || status === 'anonymous') && sessionHint.present();
  const allowed = status === 'authenticated' && role !== undefined && DOOR_KEEPERS.includes(role);
  if (signingBackIn || allowed) return children;
  return <RequireAuth roles={DOOR_KEEPERS}>{children}</RequireAuth>;
}
