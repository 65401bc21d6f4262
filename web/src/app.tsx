import { lazy, type ReactNode, Suspense, useEffect, useState } from 'react';
import { api } from './api/client';
import type { Tenant } from './api/types';
import { ToastProvider } from './components/toast';
import { Button, Loading } from './components/ui';
import { Link, match, navigate, RouterProvider, useLocation } from './lib/router';
import { SessionProvider, useSession } from './lib/session';
import { useTheme } from './lib/theme';
import { ApiKeysPage } from './pages/admin/apikeys';
import { GroupsPage } from './pages/admin/groups';
import { ProfilesPage } from './pages/admin/profiles';
import { UsersPage } from './pages/admin/users';
import { AlarmsPage } from './pages/alarms';
import { DevicePage } from './pages/device';
import { DevicesPage } from './pages/devices';
import { LoginPage } from './pages/login';
import { OverviewPage } from './pages/overview';
import { RuleEditPage } from './pages/rule-edit';
import { RulesPage } from './pages/rules';

// Leaflet is only needed on the map: loaded when it is opened.
const MapPage = lazy(() => import('./pages/map').then((m) => ({ default: m.MapPage })));

/** Every screen: its path pattern (also in ARCHITECTURE §6.1), nav entry and page. */
const ROUTES: readonly { pattern: string; render: (p: Record<string, string>) => ReactNode }[] = [
  { pattern: '/', render: () => <OverviewPage /> },
  { pattern: '/devices', render: () => <DevicesPage /> },
  { pattern: '/devices/:id', render: (p) => <DevicePage key={p.id} id={p.id as string} /> },
  { pattern: '/alarms', render: () => <AlarmsPage /> },
  { pattern: '/rules', render: () => <RulesPage /> },
  { pattern: '/rules/new', render: () => <RuleEditPage /> },
  { pattern: '/rules/:name', render: (p) => <RuleEditPage key={p.name} name={p.name as string} /> },
  { pattern: '/map', render: () => <MapPage /> },
  { pattern: '/admin/profiles', render: () => <ProfilesPage /> },
  { pattern: '/admin/groups', render: () => <GroupsPage /> },
  { pattern: '/admin/users', render: () => <UsersPage /> },
  { pattern: '/admin/apikeys', render: () => <ApiKeysPage /> },
];

const NAV = [
  { to: '/', label: 'Overview' },
  { to: '/devices', label: 'Devices' },
  { to: '/alarms', label: 'Alarms' },
  { to: '/rules', label: 'Rules' },
  { to: '/map', label: 'Map' },
];
const ADMIN_NAV = [
  { to: '/admin/profiles', label: 'Profiles' },
  { to: '/admin/groups', label: 'Groups' },
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/apikeys', label: 'API keys' },
];

export function App() {
  return (
    <RouterProvider>
      <SessionProvider>
        <ToastProvider>
          <Root />
        </ToastProvider>
      </SessionProvider>
    </RouterProvider>
  );
}

function Root() {
  const { me, checking } = useSession();
  const { path, query } = useLocation();
  useTheme();
  useEffect(() => {
    if (checking) return;
    if (!me && path !== '/login')
      navigate(`/login?next=${encodeURIComponent(path + window.location.search)}`, { replace: true });
    if (me && path === '/login') navigate(query.get('next') || '/', { replace: true });
  }, [me, checking, path, query]);
  if (checking) return <Loading what="Starting" />;
  if (!me) return path === '/login' ? <LoginPage /> : null;
  return <Shell />;
}

function Shell() {
  const { path } = useLocation();
  const [menu, setMenu] = useState(false);
  const [openAlarms, setOpenAlarms] = useState<number | undefined>(undefined);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the menu closes when the page changes
  useEffect(() => setMenu(false), [path]);
  // The alarm badge in the menu: refreshed on every page change and once a minute.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloaded when the page changes
  useEffect(() => {
    let gone = false;
    const load = () =>
      api.get<{ total: number }>('/alarms/counts').then(
        (c) => !gone && setOpenAlarms(c.total),
        () => undefined,
      );
    void load();
    const t = setInterval(load, 60_000);
    return () => {
      gone = true;
      clearInterval(t);
    };
  }, [path]);
  let page: ReactNode = <NotFound />;
  for (const r of ROUTES) {
    const params = match(r.pattern, path);
    if (params) {
      page = r.render(params);
      break;
    }
  }
  const current = (to: string) => (to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`));
  return (
    <div className="shell">
      <nav className={`sidebar ${menu ? 'open' : ''}`} aria-label="Main">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true" /> Plexus
        </Link>
        <div className="nav">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} aria-current={current(n.to) ? 'page' : undefined}>
              {n.label}
              {n.to === '/alarms' && openAlarms ? (
                <span className="count" title="Open alarms">
                  {openAlarms}
                </span>
              ) : null}
            </Link>
          ))}
          <div className="nav-section">Administration</div>
          {ADMIN_NAV.map((n) => (
            <Link key={n.to} to={n.to} aria-current={current(n.to) ? 'page' : undefined}>
              {n.label}
            </Link>
          ))}
        </div>
      </nav>
      <div className="main">
        <TopBar onMenu={() => setMenu((m) => !m)} />
        <main className="content" id="content">
          <Suspense fallback={<Loading />}>{page}</Suspense>
        </main>
      </div>
    </div>
  );
}

function TopBar({ onMenu }: { onMenu: () => void }) {
  const { me, logout, switchTenant } = useSession();
  const [theme, toggle] = useTheme();
  const [tenants, setTenants] = useState<Tenant[]>([]);
  useEffect(() => {
    if (!me?.platformAdmin) return;
    api.get<{ items: Tenant[] }>('/tenants', { limit: 1000 }).then(
      (r) => setTenants(r.items),
      () => undefined,
    );
  }, [me?.platformAdmin]);
  if (!me) return null;
  return (
    <header className="topbar">
      <Button kind="ghost" className="btn btn-ghost menu-toggle" aria-label="Menu" onClick={onMenu}>
        ☰
      </Button>
      {me.platformAdmin && tenants.length > 1 ? (
        <label className="row">
          <span className="muted">Tenant</span>
          <select
            aria-label="Tenant"
            value={me.actingTenant}
            onChange={(e) =>
              void switchTenant(e.target.value === me.tenant ? null : e.target.value).then(() =>
                navigate('/'),
              )
            }
          >
            {tenants.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name || t.id}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <span className="muted">Tenant {me.actingTenant}</span>
      )}
      <Button
        kind="ghost"
        onClick={toggle}
        aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
      >
        {theme === 'dark' ? '☀' : '☾'}
      </Button>
      <span title={`${me.role}${me.platformAdmin ? ', platform admin' : ''}`}>{me.id}</span>
      <Button kind="ghost" onClick={() => void logout()}>
        Log out
      </Button>
    </header>
  );
}

function NotFound() {
  return (
    <div className="empty">
      <p className="empty-title">This page does not exist</p>
      <Link to="/">Back to the overview</Link>
    </div>
  );
}
