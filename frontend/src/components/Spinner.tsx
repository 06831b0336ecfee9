import { cn } from '@/lib/cn';

interface SpinnerProps {
  /** Accessible text announced to screen readers. */
  label: string;
  size?: 'sm' | 'md' | 'lg';
  className?: string;
}

const SIZES = { sm: 'h-4 w-4', md: 'h-6 w-6', lg: 'h-10 w-10' } as const;

export function Spinner({ label, size = 'md', className }: SpinnerProps) {
  return (
    <div role="status" className={cn('inline-flex items-center gap-2 text-slate-600', className)}>
      <svg
        className={cn(SIZES[size], 'motion-safe:animate-spin text-brand-700')}
        viewBox="0 0 24 24"
        fill="none"
        aria-hidden="true"
        focusable="false"
      >
        <circle cx="12" cy="12" r="10" stroke="currentColor" strokeOpacity="0.25" strokeWidth="4" />
        <path d="M22 12a10 10 0 0 0-10-10" stroke="currentColor" strokeWidth="4" strokeLinecap="round" />
      </svg>
      <span className="sr-only">{label}</span>
    </div>
  );
}
