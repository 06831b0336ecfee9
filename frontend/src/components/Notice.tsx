import { type ReactNode } from 'react';

import { cn } from '@/lib/cn';

/** Empty, unavailable and error states: a short title, a sentence and an optional action. */
export function Notice({
  title,
  body,
  children,
  tone = 'neutral',
  headingLevel = 2,
}: {
  title: string;
  body?: ReactNode;
  children?: ReactNode;
  tone?: 'neutral' | 'error';
  headingLevel?: 2 | 3;
}) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <div
      className={cn(
        'rounded-lg border p-6 text-center',
        tone === 'error' ? 'border-red-200 bg-red-50' : 'border-dashed border-slate-300 bg-white',
      )}
    >
      <Heading className={cn('font-semibold', tone === 'error' ? 'text-red-900' : 'text-slate-900')}>{title}</Heading>
      {body ? <p className={cn('mt-1', tone === 'error' ? 'text-red-800' : 'text-slate-600')}>{body}</p> : null}
      {children ? <div className="mt-4 flex flex-wrap justify-center gap-3">{children}</div> : null}
    </div>
  );
}
