import { act, render, renderHook, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useRef, useState } from 'react';
import { describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/api/client';
import { TextField } from '@/components/form/fields';
import { toast, useToastStore } from '@/store/toasts';

import { useHasPassed, useNow } from './countdown';
import { serverFieldErrors, useFocusFirstError } from './forms';
import { loginPath, safeNext } from './navigation';
import { useDebouncedValue } from './useDebouncedValue';

describe('safeNext', () => {
  it.each([
    ['/events/1?x=y', '/events/1?x=y'],
    ['//evil.example/x', '/'],
    ['https://evil.example', '/'],
    ['/\\evil.example', '/'],
    ['/login?next=/me', '/'],
    [null, '/'],
  ])('%s -> %s', (raw, expected) => {
    expect(safeNext(raw)).toBe(expected);
  });

  it('builds login paths', () => {
    expect(loginPath('/')).toBe('/login');
    expect(loginPath('/me?tab=1')).toBe('/login?next=%2Fme%3Ftab%3D1');
  });
});

describe('useDebouncedValue', () => {
  it('settles once the value stops changing', () => {
    vi.useFakeTimers();
    try {
      const { result, rerender } = renderHook(({ value }) => useDebouncedValue(value, 300), { initialProps: { value: 'a' } });
      rerender({ value: 'ab' });
      act(() => {
        vi.advanceTimersByTime(200);
      });
      rerender({ value: 'abc' });
      act(() => {
        vi.advanceTimersByTime(200);
      });
      expect(result.current).toBe('a');
      act(() => {
        vi.advanceTimersByTime(100);
      });
      expect(result.current).toBe('abc');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('clock hooks', () => {
  it('useNow ticks while active, stands still otherwise, and reads the time again when it starts', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const { result, rerender } = renderHook(({ active }) => useNow(active), { initialProps: { active: false } });
      expect(result.current).toBe(1_000_000);
      act(() => {
        vi.advanceTimersByTime(5_000);
      });
      expect(result.current).toBe(1_000_000);
      rerender({ active: true });
      expect(result.current).toBe(1_005_000);
      act(() => {
        vi.advanceTimersByTime(1_000);
      });
      expect(result.current).toBe(1_006_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('useHasPassed turns true once, at the moment', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const { result, rerender } = renderHook<boolean, { at: number | null }>(({ at }) => useHasPassed(at), { initialProps: { at: 1_003_000 } });
      expect(result.current).toBe(false);
      act(() => {
        vi.advanceTimersByTime(2_999);
      });
      expect(result.current).toBe(false);
      act(() => {
        vi.advanceTimersByTime(1);
      });
      expect(result.current).toBe(true);
      rerender({ at: null });
      expect(result.current).toBe(false);
      // Beyond what one setTimeout can wait (about 24.8 days).
      rerender({ at: Date.now() + 30 * 86_400_000 });
      act(() => {
        vi.advanceTimersByTime(29 * 86_400_000);
      });
      expect(result.current).toBe(false);
      act(() => {
        vi.advanceTimersByTime(86_400_000);
      });
      expect(result.current).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('forms', () => {
  it('moves focus to the first invalid control in document order', async () => {
    function Form() {
      const ref = useRef<HTMLFormElement>(null);
      const focusFirstError = useFocusFirstError(ref);
      const [errors, setErrors] = useState<Record<string, string>>({});
      return (
        <form ref={ref}>
          <TextField label="Uno" error={errors.one} />
          <TextField label="Dos" error={errors.two} />
          <button
            type="button"
            onClick={() => {
              setErrors({ two: 'mal' });
              focusFirstError();
            }}
          >
            go
          </button>
        </form>
      );
    }
    render(<Form />);
    await userEvent.click(screen.getByRole('button', { name: 'go' }));
    expect(screen.getByLabelText('Dos')).toHaveFocus();
    expect(screen.getByLabelText('Dos')).toHaveAccessibleDescription('mal');
  });

  it('splits server field errors into mapped fields and leftovers', () => {
    const error = new ApiError({
      status: 422,
      title: 'Unprocessable Content',
      errors: [
        { field: 'email', message: 'bad' },
        { field: 'email', message: 'second' },
        { field: 'x', message: 'other' },
      ],
    });
    expect(serverFieldErrors(error, (f) => (f === 'email' ? f : null))).toEqual({
      fields: { email: 'bad' },
      unmatched: [{ field: 'x', message: 'other' }],
    });
    expect(serverFieldErrors(new Error('x'))).toEqual({ fields: {}, unmatched: [] });
  });
});

describe('toasts', () => {
  it('does not stack the same message twice', () => {
    toast.error('No tienes permiso');
    toast.error('No tienes permiso');
    toast.success('No tienes permiso');
    expect(useToastStore.getState().toasts.map((t) => t.tone)).toEqual(['error', 'success']);
  });
});
