import type { Role } from '@/store/auth';

/** Who may open a door: the edge also checks that the session belongs to their organization (admins: any). */
export const DOOR_KEEPERS: readonly Role[] = ['staff', 'organizer', 'admin'];
