import { create } from 'zustand';

export type ToastTone = 'info' | 'success' | 'error';

export interface Toast {
  id: number;
  tone: ToastTone;
  message: string;
  /** Milliseconds before auto-dismiss; null keeps it until dismissed. */
  durationMs: number | null;
}

interface ToastState {
  toasts: Toast[];
  push: (toast: Omit<Toast, 'id' | 'durationMs'> & { durationMs?: number | null }) => number;
  dismiss: (id: number) => void;
  clear: () => void;
}

const MAX_TOASTS = 5;
const DEFAULT_DURATION: Record<ToastTone, number> = { info: 5_000, success: 5_000, error: 10_000 };
let nextId = 1;

export const useToastStore = create<ToastState>()((set, get) => ({
  toasts: [],
  push: ({ tone, message, durationMs }) => {
    // The same message already on screen (e.g. a redirect rendered twice): do not stack it.
    const existing = get().toasts.find((t) => t.tone === tone && t.message === message);
    if (existing) return existing.id;
    const id = nextId++;
    const toast: Toast = { id, tone, message, durationMs: durationMs === undefined ? DEFAULT_DURATION[tone] : durationMs };
    set((state) => ({ toasts: [...state.toasts, toast].slice(-MAX_TOASTS) }));
    return id;
  },
  dismiss: (id) => set((state) => ({ toasts: state.toasts.filter((t) => t.id !== id) })),
  clear: () => set({ toasts: [] }),
}));

/** Imperative helpers usable outside React (e.g. in mutation callbacks). */
export const toast = {
  info: (message: string, durationMs?: number | null) => useToastStore.getState().push({ tone: 'info', message, durationMs }),
  success: (message: string, durationMs?: number | null) =>
    useToastStore.getState().push({ tone: 'success', message, durationMs }),
  error: (message: string, durationMs?: number | null) => useToastStore.getState().push({ tone: 'error', message, durationMs }),
  dismiss: (id: number) => useToastStore.getState().dismiss(id),
};
