const DEVICE_KEY = 'taquilla.door.device';

/**
 * This browser's door id, sent with every scan so the edge can tell devices apart (and say which
 * one admitted a ticket first). Kept in localStorage: it names the device, not the person.
 */
export function doorDeviceId(): string {
  const known = localStorage.getItem(DEVICE_KEY);
  if (known !== null && /^[A-Za-z0-9._-]{1,64}$/.test(known)) return known;
  const id = `door-${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
  localStorage.setItem(DEVICE_KEY, id);
  return id;
}
