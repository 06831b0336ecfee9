import { describe, expect, it } from 'vitest';

import { ApiError } from '@/api/client';

import { fieldErrorText, problemSlug, problemText } from './serverErrors';

const refusal = (type: string, detail: string) => new ApiError({ status: 409, title: 'Conflict', type, detail });

describe('server errors in the reader language', () => {
  it('translates a field error by its code, with a field’s own wording where there is one', () => {
    const weak = { field: 'password', code: 'weak_password', message: 'is too common' };
    expect(fieldErrorText(weak, 'es')).toBe('Esta contraseña es demasiado común: usa una frase de varias palabras sin relación entre sí.');
    expect(fieldErrorText(weak, 'en')).toBe('This password is too common: use a passphrase of several unrelated words.');
    const short = { field: 'password', code: 'too_short', message: 'must be at least 12 characters long' };
    expect(fieldErrorText(short, 'es')).toBe('La contraseña debe tener al menos 12 caracteres.');
    const uuid = { field: 'path.event_id', code: 'invalid_uuid', message: 'Input should be a valid UUID' };
    expect(fieldErrorText(uuid, 'es')).toBe('No es un identificador válido.');
    expect(fieldErrorText({ field: 'zones.0.name', code: 'too_long', message: 'x' }, 'es')).toBe('Es demasiado largo.');
  });

  it('never shows the English message in Spanish; in English it is the last resort for an unknown code', () => {
    const unknown = { field: 'timezone', code: 'invalid', message: 'unknown time zone' };
    expect(fieldErrorText(unknown, 'es')).toBe('Este valor no es válido.');
    expect(fieldErrorText(unknown, 'en')).toBe('unknown time zone');
    expect(fieldErrorText({ ...unknown, code: 'brand_new_code' }, 'es')).toBe('Este valor no es válido.');
  });

  it('translates a problem by its type, and falls back without the English detail in Spanish', () => {
    expect(problemSlug('https://taquilla.dev/problems/cannot-change-own-account')).toBe('cannot-change-own-account');
    expect(problemSlug('about:blank')).toBe('');
    const own = refusal('https://taquilla.dev/problems/cannot-change-own-account', 'Administrators cannot…');
    expect(problemText(own, 'fallback', 'es')).toBe('No puedes cambiar tu propio rol ni desactivar tu propia cuenta.');
    expect(problemText(own, 'fallback', 'en')).toBe('You cannot change your own role or deactivate your own account.');
    const odd = refusal('https://taquilla.dev/problems/something-new', 'Something new happened.');
    expect(problemText(odd, 'No se pudo.', 'es')).toBe('No se pudo.');
    expect(problemText(odd, 'It failed.', 'en')).toBe('Something new happened.');
    expect(problemText(new ApiError({ status: 0, title: 'Network error' }), 'x', 'es')).toMatch(/No hay conexión/);
    expect(problemText(new Error('boom'), 'No se pudo.', 'es')).toBe('No se pudo.');
  });
});
