import { browserTimeZone } from './zonedTime';

/** Where the organizer's last choice of time zone is kept (this device only). */
export const LAST_TIME_ZONE_KEY = 'taquilla.eventForm.timezone';

/**
 * Cities of the venues the catalog knows (and a few neighbours), by their name without accents and in
 * lower case, to their IANA zone. Ambiguous names (Córdoba, Santiago de Compostela vs. de Chile) are
 * left out: a wrong guess is worse than none.
 */
const CITY_TIME_ZONES: Record<string, string> = {
  'ciudad de mexico': 'America/Mexico_City',
  cdmx: 'America/Mexico_City',
  'mexico city': 'America/Mexico_City',
  guadalajara: 'America/Mexico_City',
  monterrey: 'America/Monterrey',
  puebla: 'America/Mexico_City',
  tijuana: 'America/Tijuana',
  cancun: 'America/Cancun',
  madrid: 'Europe/Madrid',
  sevilla: 'Europe/Madrid',
  seville: 'Europe/Madrid',
  barcelona: 'Europe/Madrid',
  valencia: 'Europe/Madrid',
  bilbao: 'Europe/Madrid',
  malaga: 'Europe/Madrid',
  zaragoza: 'Europe/Madrid',
  'las palmas de gran canaria': 'Atlantic/Canary',
  'santa cruz de tenerife': 'Atlantic/Canary',
  bogota: 'America/Bogota',
  medellin: 'America/Bogota',
  cali: 'America/Bogota',
  barranquilla: 'America/Bogota',
  lima: 'America/Lima',
  'buenos aires': 'America/Argentina/Buenos_Aires',
  'santiago de chile': 'America/Santiago',
  quito: 'America/Guayaquil',
  montevideo: 'America/Montevideo',
  london: 'Europe/London',
  londres: 'Europe/London',
  'new york': 'America/New_York',
  'nueva york': 'America/New_York',
};

function normalizeCity(city: string): string {
  return city
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ');
}

/** The IANA zone of a known city, or null. */
export function cityTimeZone(city: string): string | null {
  return CITY_TIME_ZONES[normalizeCity(city)] ?? null;
}

/** The organizer's last choice on this device, if any. */
export function lastTimeZone(): string | null {
  try {
    return localStorage.getItem(LAST_TIME_ZONE_KEY);
  } catch {
    return null;
  }
}

export function rememberTimeZone(zone: string): void {
  try {
    localStorage.setItem(LAST_TIME_ZONE_KEY, zone);
  } catch {
    // Private mode or storage full: the next form starts from the default again.
  }
}

/**
 * A new event's zone before its city is typed: the organizer's last choice, else the browser's (only
 * as a last resort: the venue's city replaces it as soon as it is one we know).
 */
export function initialTimeZone(): string {
  return lastTimeZone() ?? browserTimeZone();
}
