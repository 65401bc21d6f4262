import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api, setCredentials } from '../api/client';
import type { Me } from '../api/types';

/**
 * Who is logged in, and in which tenant the dashboard acts. The token is
 * kept in localStorage (a reload keeps you in); a platform admin's chosen
 * tenant too. A 401 from any call ends the session and shows the login.
 */

const TOKEN = 'plexus.token';
const TENANT = 'plexus.tenant';

export interface Session {
  readonly me: Me | undefined;
  /** Still finding out whether a stored token is valid. */
  readonly checking: boolean;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
  /** Platform admins: act in another tenant (null: their own). */
  switchTenant(tenant: string | null): Promise<void>;
  /** Whether the principal may do this (mirrors the server's roles; the server decides). */
  can(what: 'write' | 'admin'): boolean;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | undefined>(undefined);
  const [checking, setChecking] = useState(true);

  const expire = useCallback(() => {
    localStorage.removeItem(TOKEN);
    localStorage.removeItem(TENANT);
    setCredentials(null, null);
    setMe(undefined);
  }, []);

  useEffect(() => {
    const token = localStorage.getItem(TOKEN);
    if (!token) {
      setChecking(false);
      return;
    }
    setCredentials(token, localStorage.getItem(TENANT), expire);
    api.get<Me>('/auth/me').then(
      (m) => {
        setMe(m);
        setChecking(false);
      },
      () => {
        expire();
        setChecking(false);
      },
    );
  }, [expire]);

  const session = useMemo<Session>(
    () => ({
      me,
      checking,
      async login(username, password) {
        const { token } = await api.post<{ token: string }>('/auth/login', { username, password });
        localStorage.setItem(TOKEN, token);
        localStorage.removeItem(TENANT);
        setCredentials(token, null, expire);
        setMe(await api.get<Me>('/auth/me'));
      },
      async logout() {
        await api.post('/auth/logout').catch(() => undefined);
        expire();
      },
      async switchTenant(tenant) {
        if (tenant) localStorage.setItem(TENANT, tenant);
        else localStorage.removeItem(TENANT);
        setCredentials(localStorage.getItem(TOKEN), tenant, expire);
        setMe(await api.get<Me>('/auth/me'));
      },
      can(what) {
        if (!me) return false;
        if (what === 'admin') return me.role === 'admin';
        return me.role === 'admin' || me.role === 'operator';
      },
    }),
    [me, checking, expire],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
