import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { controlClass, errorClass, focusClass } from './controlClass';
import { TextField } from './fields';

const colours = (classes: string) => new Set(classes.match(/(?:red|blue|focus|brand)(?:-\d+)?/g) ?? []);

describe('form control looks', () => {
  it('draws keyboard focus in a colour that an invalid field never uses', () => {
    const focus = colours(focusClass);
    const error = colours(errorClass);
    expect(focus.size).toBeGreaterThan(0);
    expect([...focus].filter((c) => error.has(c))).toEqual([]);
    expect(focusClass).not.toMatch(/red|brand/);
  });

  it('keeps the focus style on invalid fields and adds the error style only to them', () => {
    expect(controlClass(true)).toContain(focusClass);
    expect(controlClass(false)).toContain(focusClass);
    expect(controlClass(true)).toContain(errorClass);
    expect(controlClass(false)).not.toContain('red');
  });

  it('renders an invalid field with both styles', () => {
    render(<TextField label="Correo" error="Falta el correo" />);
    const input = screen.getByLabelText(/Correo/);
    expect(input).toHaveAttribute('aria-invalid', 'true');
    for (const c of [...focusClass.split(' '), ...errorClass.split(' ')]) expect(input).toHaveClass(c);
  });
});
