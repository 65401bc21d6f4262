import {
  type AnchorHTMLAttributes,
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useState,
} from 'react';

/**
 * A small history router: the dashboard has a dozen flat routes, so a
 * pattern list and `history.pushState` do what a router library would.
 * The server answers every non-API page URL with index.html (src/api/web.ts).
 */

export interface Location {
  readonly path: string;
  readonly query: URLSearchParams;
}

const read = (): Location => ({
  path: window.location.pathname,
  query: new URLSearchParams(window.location.search),
});

const LocationContext = createContext<Location>(read());

const listeners = new Set<() => void>();

/** Goes to `to` (path and query), adding a history entry unless `replace`. */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  for (const l of listeners) l();
  if (!opts.replace) window.scrollTo(0, 0);
}

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(read);
  useEffect(() => {
    const update = () => setLocation(read());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return <LocationContext.Provider value={location}>{children}</LocationContext.Provider>;
}

export const useLocation = (): Location => useContext(LocationContext);

/** Matches `/devices/:id` against a path; params are decoded. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] as string;
    const seg = s[i] as string;
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(seg);
    else if (part !== seg) return undefined;
  }
  return params;
}

/** Reads and writes one query parameter, keeping the others (filters that survive a reload). */
export function useQueryParam(name: string): [string, (value: string) => void] {
  const { path, query } = useLocation();
  const value = query.get(name) ?? '';
  const set = (v: string) => {
    const next = new URLSearchParams(query);
    if (v) next.set(name, v);
    else next.delete(name);
    const s = next.toString();
    navigate(`${path}${s ? `?${s}` : ''}`, { replace: true });
  };
  return [value, set];
}

/** An in-app link: a real <a href> (open in a new tab works), navigating without a reload. */
export function Link({
  to,
  children,
  ...rest
}: { to: string; children: ReactNode } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  return (
    <a
      href={to}
      {...rest}
      onClick={(e) => {
        rest.onClick?.(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
