import { createContext, type ReactNode, useCallback, useContext, useState } from 'react';

/** Short confirmations ("Command sent") and failures, announced to screen readers. */
interface Toast {
  readonly id: number;
  readonly text: string;
  readonly kind: 'ok' | 'error';
}

const ToastContext = createContext<(text: string, kind?: 'ok' | 'error') => void>(() => undefined);

export const useToast = () => useContext(ToastContext);

let nextId = 1;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const show = useCallback((text: string, kind: 'ok' | 'error' = 'ok') => {
    const id = nextId++;
    setToasts((t) => [...t, { id, text, kind }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === 'error' ? 8000 : 4000);
  }, []);
  return (
    <ToastContext.Provider value={show}>
      {children}
      <div className="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
            {t.text}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
