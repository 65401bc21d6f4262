import { useState } from 'react';
import { api, type Page, path } from '../api/client';
import type { Rule } from '../api/types';
import { Pager, useCursor } from '../components/pager';
import { useToast } from '../components/toast';
import { Button, Card, Empty, ErrorNote, Loading, PageHeader, SeverityBadge, When } from '../components/ui';
import { Link, navigate, useQueryParam } from '../lib/router';
import { useSession } from '../lib/session';
import { useApi } from '../lib/use-api';
import { actorName } from './alarms/actor';
import { conditionSummary, conditionText, targetSummary } from './rules/document';
import { Switch } from './rules/switch';
import './rules/common.css';
import './rules/rules.css';

/** Rules of the tenant (/rules): what the platform watches for, and whether it is on. */
export function RulesPage() {
  const { can } = useSession();
  const [enabled, setEnabled] = useQueryParam('enabled');
  return (
    <div className="pg-rules">
      <PageHeader
        title="Rules"
        subtitle="Conditions the platform watches for on your devices, and the alarms and actions they raise."
        actions={
          can('admin') ? (
            <Button kind="primary" onClick={() => navigate('/rules/new')}>
              New rule
            </Button>
          ) : null
        }
      />
      {can('admin') ? null : (
        <p className="rx-note" role="note">
          You can read rules and dry-run them; creating, changing and switching rules on or off needs the
          admin role.
        </p>
      )}
      <div className="filters">
        <label className="row">
          <span className="muted">Show</span>
          <select value={enabled} onChange={(e) => setEnabled(e.target.value)} aria-label="Show rules">
            <option value="">All rules</option>
            <option value="true">Enabled</option>
            <option value="false">Disabled</option>
          </select>
        </label>
      </div>
      <RuleTable key={enabled} enabled={enabled} />
    </div>
  );
}

function RuleTable({ enabled }: { enabled: string }) {
  const { can } = useSession();
  const toast = useToast();
  const { cursor, page, next, prev } = useCursor();
  const rules = useApi(
    () => api.get<Page<Rule>>('/rules', { limit: 50, cursor, enabled: enabled || undefined }),
    [cursor, enabled],
  );
  const [busy, setBusy] = useState<string | undefined>(undefined);

  const toggle = async (r: Rule) => {
    setBusy(r.name);
    try {
      const saved = await api.post<Rule>(path`/rules/${r.name}/${r.enabled ? 'disable' : 'enable'}`);
      rules.set((p) => p && { ...p, items: p.items.map((x) => (x.name === r.name ? saved : x)) });
      toast(`${r.name} ${saved.enabled ? 'enabled' : 'disabled'}`);
    } catch (err) {
      toast(`Could not change ${r.name}: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      setBusy(undefined);
    }
  };

  if (rules.error && !rules.data) return <ErrorNote error={rules.error} onRetry={rules.reload} />;
  if (!rules.data) return <Loading what="Loading rules" />;
  const items = rules.data.items;
  if (items.length === 0 && page === 1)
    return (
      <Card>
        <Empty
          title={enabled ? `No ${enabled === 'true' ? 'enabled' : 'disabled'} rules` : 'No rules yet'}
          action={
            can('admin') && !enabled ? (
              <Button kind="primary" onClick={() => navigate('/rules/new')}>
                Write your first rule
              </Button>
            ) : null
          }
        >
          A rule watches your devices’ data, raises an alarm when its condition holds and can call a webhook,
          send a command or an e-mail. Try one against past data with a dry run before switching it on.
        </Empty>
      </Card>
    );
  return (
    <Card className="list-card">
      <ErrorNote error={rules.error} onRetry={rules.reload} />
      <div className="table-wrap">
        <table className="rules-table stack-table">
          <caption className="sr-only">Rules</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Enabled</th>
              <th scope="col">Target</th>
              <th scope="col">Condition</th>
              <th scope="col">Alarm</th>
              <th scope="col" className="num">
                Version
              </th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.name}>
                <td data-label="Name">
                  <Link to={path`/rules/${r.name}`} className="rx-strong">
                    {r.name}
                  </Link>
                  {r.spec.description ? <div className="muted rx-small">{r.spec.description}</div> : null}
                </td>
                <td data-label="Enabled">
                  <Switch
                    on={r.enabled}
                    label={`Rule ${r.name} enabled`}
                    busy={busy === r.name}
                    disabled={!can('admin')}
                    title={can('admin') ? undefined : 'Switching rules on or off needs the admin role'}
                    onChange={() => void toggle(r)}
                  />
                </td>
                <td data-label="Target">{targetSummary(r.spec.target)}</td>
                <td data-label="Condition">
                  <span className="rx-chip">{conditionSummary(r.spec.condition)}</span>{' '}
                  <code className="rx-cond-text">{conditionText(r.spec.condition)}</code>
                </td>
                <td data-label="Alarm">
                  {r.spec.alarm ? (
                    <span className="row rx-nowrap">
                      <SeverityBadge severity={r.spec.alarm.severity} />
                      <span>{r.spec.alarm.type}</span>
                    </span>
                  ) : (
                    <span className="muted">actions only ({r.spec.actions.length})</span>
                  )}
                </td>
                <td data-label="Version" className="num">
                  v{r.version}
                </td>
                <td data-label="Updated">
                  <When at={r.updatedAt} />{' '}
                  <span className="muted rx-small">by {actorName(r.updatedBy)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager
        page={page}
        hasNext={Boolean(rules.data.next)}
        onNext={() => rules.data?.next && next(rules.data.next)}
        onPrev={prev}
      />
    </Card>
  );
}
