import { useEffect, useId, useRef, useState } from 'react';
import { ApiError, api, type FieldError, type Page, path } from '../api/client';
import type { Rule } from '../api/types';
import { useToast } from '../components/toast';
import { Button, Card, Dialog, ErrorNote, Loading, PageHeader, When } from '../components/ui';
import { Link, navigate } from '../lib/router';
import { useSession } from '../lib/session';
import { useApi } from '../lib/use-api';
import { actorName } from './alarms/actor';
import {
  ACTIONS,
  CONDITIONS,
  locate,
  parseDocument,
  pretty,
  type RuleDocument,
  STARTER,
  toDocument,
} from './rules/document';
import { DryRunPanel } from './rules/dry-run';
import { Switch } from './rules/switch';
import { RuleVersions } from './rules/versions';
import './rules/common.css';
import './rules/rules.css';

/** The rule editor (/rules/new, /rules/{name}): the document as JSON, checked by the server on save. */
export function RuleEditPage({ name }: { name?: string }) {
  return (
    <div className="pg-rules">
      <RuleLoader name={name} />
    </div>
  );
}

function RuleLoader({ name }: { name: string | undefined }) {
  const rule = useApi(
    () => (name ? api.get<Rule>(path`/rules/${name}`) : Promise.resolve(undefined)),
    [name],
  );
  if (name && rule.error && !rule.data)
    return (
      <>
        <PageHeader title={name} actions={<Link to="/rules">← All rules</Link>} />
        <ErrorNote error={rule.error} onRetry={rule.error.status === 404 ? undefined : rule.reload} />
        {rule.error.status === 404 ? (
          <p>
            <Link to="/rules">Back to the rules</Link>
          </p>
        ) : null}
      </>
    );
  if (name && !rule.data) return <Loading what="Loading the rule" />;
  return <Editor name={name} saved={rule.data} onSaved={(r) => rule.set(() => r)} />;
}

function Editor({
  name,
  saved,
  onSaved,
}: {
  name: string | undefined;
  saved: Rule | undefined;
  onSaved: (r: Rule) => void;
}) {
  const { can } = useSession();
  const admin = can('admin');
  const toast = useToast();
  const initial = useRef(pretty(saved ? toDocument(saved.spec) : STARTER));
  const [text, setText] = useState(initial.current);
  const [jsonError, setJsonError] = useState<string | undefined>(undefined);
  const [serverError, setServerError] = useState<ApiError | undefined>(undefined);
  // The text the server judged: once edited, its problems may be out of date.
  const [judged, setJudged] = useState('');
  const [saving, setSaving] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [round, setRound] = useState(0);
  const [toggling, setToggling] = useState(false);
  const problemsBox = useRef<HTMLDivElement>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const editorId = useId();
  const dirty = text !== initial.current;

  // Leaving with unsaved edits by closing the tab asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const edit = (next: string) => {
    setText(next);
    setJsonError(undefined);
  };

  /** The document in the editor, or undefined with the JSON problem shown. */
  const current = (): RuleDocument | undefined => {
    const { doc, error } = parseDocument(text);
    setJsonError(error);
    if (error) area.current?.focus();
    return doc;
  };

  /** Applies a structured helper to the document (only when it is valid JSON). */
  const change = (f: (doc: RuleDocument) => RuleDocument) => {
    const doc = current();
    if (doc) edit(pretty(f(doc)));
  };

  const select = (p: string) => {
    const el = area.current;
    const at = locate(text, p);
    if (!el) return;
    el.focus();
    if (at) {
      el.setSelectionRange(at.start, at.end);
      // Scroll the selection into view: the line's share of the text's height.
      const line = text.slice(0, at.start).split('\n').length;
      el.scrollTop = Math.max(0, (line - 4) * (el.scrollHeight / text.split('\n').length));
    }
  };

  const save = async () => {
    const doc = current();
    if (!doc) return;
    const target = name ?? (typeof doc.name === 'string' ? doc.name.trim() : '');
    const refuse = (message: string) => {
      fail(new ApiError(400, { detail: message, errors: [{ path: '/body/name', message }] }));
    };
    if (!target) return refuse('give the rule a name, e.g. "press-overheat"');
    setSaving(true);
    setServerError(undefined);
    try {
      // PUT creates or replaces: a new rule must not quietly overwrite one of the same name.
      if (!name) {
        const exists = await ruleExists(target);
        if (exists)
          return refuse(`a rule named ${target} exists already: pick another name, or open it to edit`);
      }
      const r = await api.put<Rule>(path`/rules/${target}`, doc);
      const unchanged = saved && r.version === saved.version;
      toast(unchanged ? 'Nothing changed: no new version' : `Saved ${r.name}, version ${r.version}`);
      initial.current = pretty(toDocument(r.spec));
      setText(initial.current);
      setRound((x) => x + 1);
      if (name) onSaved(r);
      else navigate(path`/rules/${r.name}`, { replace: true });
    } catch (err) {
      fail(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
    } finally {
      setSaving(false);
    }
  };

  /** Shows what stopped the save, and brings it into view (below the editor on a phone). */
  const fail = (err: ApiError) => {
    setServerError(err);
    setJudged(text);
    requestAnimationFrame(() =>
      problemsBox.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' }),
    );
  };

  /** Switches the rule on or off (a new version); the document follows. */
  const setEnabled = async (on: boolean) => {
    if (!name) return;
    setToggling(true);
    try {
      const r = await api.post<Rule>(path`/rules/${name}/${on ? 'enable' : 'disable'}`);
      onSaved(r);
      setRound((x) => x + 1);
      const next = pretty(toDocument(r.spec));
      if (!dirty) setText(next);
      else {
        const { doc } = parseDocument(text);
        if (doc) setText(pretty({ ...doc, enabled: r.enabled }));
      }
      initial.current = next;
      toast(`${name} ${r.enabled ? 'enabled' : 'disabled'}`);
    } catch (err) {
      toast(`Could not change ${name}: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      setToggling(false);
    }
  };

  const remove = async () => {
    if (!name) return;
    setDeleting(true);
    try {
      await api.del(path`/rules/${name}`);
      toast(`Deleted ${name}`);
      navigate('/rules');
    } catch (err) {
      toast(`Could not delete ${name}: ${err instanceof Error ? err.message : String(err)}`, 'error');
      setDeleting(false);
      setConfirmDelete(false);
    }
  };

  const problems: readonly FieldError[] = serverError?.problem.errors ?? [];
  const stale = serverError !== undefined && text !== judged;
  return (
    <>
      <PageHeader
        title={name ?? 'New rule'}
        subtitle={
          saved ? (
            <>
              Version {saved.version} · {saved.enabled ? 'enabled' : 'disabled'} · updated{' '}
              <When at={saved.updatedAt} /> by {actorName(saved.updatedBy)}
            </>
          ) : (
            'Edit the starter below, dry-run it against past data, then save.'
          )
        }
        actions={
          <>
            <Link to="/rules">← All rules</Link>
            {saved ? (
              <Switch
                on={saved.enabled}
                label={`Rule ${saved.name} enabled`}
                busy={toggling}
                disabled={!admin}
                title={admin ? undefined : 'Switching rules on or off needs the admin role'}
                onChange={() => void setEnabled(!saved.enabled)}
              />
            ) : null}
            {admin && name ? (
              <Button kind="danger" onClick={() => setConfirmDelete(true)}>
                Delete
              </Button>
            ) : null}
            {admin ? (
              <Button kind="primary" busy={saving} onClick={() => void save()}>
                {name ? 'Save' : 'Create rule'}
              </Button>
            ) : null}
          </>
        }
      />
      {admin ? null : (
        <p className="rx-note" role="note">
          Read-only: you can read this rule and dry-run it, but writing rules needs the admin role. Webhook
          secrets show as “(hidden)”.
        </p>
      )}
      <div className="rule-layout">
        <Card
          className="rule-editor"
          title={
            <label htmlFor={editorId}>
              Rule document <span className="muted rx-small">(JSON)</span>
            </label>
          }
          actions={dirty ? <span className="rx-chip rx-warn">Unsaved changes</span> : null}
        >
          {admin ? (
            <div className="rx-helpers">
              <HelperSelect
                label="Condition"
                placeholder="Replace condition…"
                options={Object.keys(CONDITIONS)}
                onPick={(k) => change((d) => ({ ...d, condition: CONDITIONS[k] }))}
              />
              <HelperSelect
                label="Action"
                placeholder="Add action…"
                options={Object.keys(ACTIONS)}
                onPick={(k) =>
                  change((d) => ({
                    ...d,
                    actions: [...(Array.isArray(d.actions) ? d.actions : []), ACTIONS[k]],
                  }))
                }
              />
              <Button kind="ghost" onClick={() => change((d) => d)}>
                Format
              </Button>
              {dirty ? (
                <Button kind="ghost" onClick={() => edit(initial.current)}>
                  Revert
                </Button>
              ) : null}
            </div>
          ) : null}
          <textarea
            id={editorId}
            ref={area}
            className="rule-text"
            value={text}
            readOnly={!admin}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            aria-invalid={Boolean(jsonError) || (problems.length > 0 && !stale)}
            aria-describedby={`${editorId}-help`}
            rows={Math.min(32, Math.max(16, text.split('\n').length + 1))}
            onChange={(e) => edit(e.target.value)}
            onKeyDown={(e) => {
              if ((e.ctrlKey || e.metaKey) && e.key === 's' && admin) {
                e.preventDefault();
                void save();
              }
            }}
          />
          <p id={`${editorId}-help`} className="muted rx-small rx-help">
            Fields: name, description, enabled, target, condition, alarm, actions, throttle. Durations like{' '}
            <code>30s</code>, <code>5m</code>; templates <code>{'{{device}}'}</code>,{' '}
            <code>{'{{value}}'}</code>. {admin ? 'Ctrl+S saves.' : ''} See docs/rules.md.
          </p>
          {jsonError ? (
            <div className="error-note" role="alert">
              <strong>This is not valid JSON:</strong> {jsonError}
            </div>
          ) : null}
        </Card>
        <aside className="rule-side">
          {serverError ? (
            <div ref={problemsBox}>
              <Card
                title={
                  problems.length
                    ? `${problems.length === 1 ? '1 problem' : `${problems.length} problems`}`
                    : 'Not saved'
                }
              >
                {problems.length ? (
                  <div role="alert">
                    <p className="muted rx-small">
                      {stale
                        ? 'Edited since the last try: save again to check.'
                        : 'Nothing was saved. Click a path to find it in the document.'}
                    </p>
                    <ul className={`rx-problems ${stale ? 'rx-stale' : ''}`}>
                      {problems.map((p) => (
                        <li key={p.path + p.message}>
                          <button
                            type="button"
                            className="rx-linkish"
                            onClick={() => select(p.path.replace(/^\/body/, ''))}
                          >
                            <code>{p.path.replace(/^\/body/, '') || '/'}</code>
                          </button>
                          <span>{p.message}</span>
                        </li>
                      ))}
                    </ul>
                  </div>
                ) : (
                  <ErrorNote error={serverError} />
                )}
              </Card>
            </div>
          ) : null}
          {name ? (
            <Card title="Versions">
              <RuleVersions
                name={name}
                current={saved?.version}
                round={round}
                onLoad={(doc, v) => {
                  edit(pretty(doc));
                  toast(`Version ${v} is in the editor: save to make it current`);
                }}
              />
            </Card>
          ) : (
            <Card title="Tips" className="rx-tips-card">
              <ul className="rx-tips">
                <li>
                  <strong>target</strong> picks devices: <code>{'{"profile": "press"}'}</code>, groups,
                  devices or labels.
                </li>
                <li>
                  <strong>for</strong> makes a condition hold without a break before it fires.
                </li>
                <li>
                  A rule needs an <strong>alarm</strong>, <strong>actions</strong> or both.
                </li>
                <li>Run a dry run below to see when it would have fired before saving.</li>
              </ul>
            </Card>
          )}
        </aside>
      </div>
      <Card title="Dry run" className="dry-run-card">
        <DryRunPanel getDocument={current} />
      </Card>
      <Dialog open={confirmDelete} title={`Delete ${name ?? ''}?`} onClose={() => setConfirmDelete(false)}>
        <div className="stack">
          <p>
            The rule and all its versions are deleted; it stops watching devices at once. Alarms it raised
            stay (clear them by hand). This cannot be undone.
          </p>
          <div className="row rx-end">
            <Button onClick={() => setConfirmDelete(false)}>Cancel</Button>
            <Button kind="danger" busy={deleting} onClick={() => void remove()}>
              Delete rule
            </Button>
          </div>
        </div>
      </Dialog>
    </>
  );
}

/** Whether a rule has this name (read from the list: asking for it by name logs a 404 in the console). */
async function ruleExists(name: string): Promise<boolean> {
  let cursor: string | undefined;
  do {
    const page = await api.get<Page<Rule>>('/rules', { limit: 1000, cursor });
    if (page.items.some((r) => r.name === name)) return true;
    cursor = page.next;
  } while (cursor);
  return false;
}

/** A select that acts on choice and goes back to its placeholder. */
function HelperSelect({
  label,
  placeholder,
  options,
  onPick,
}: {
  label: string;
  placeholder: string;
  options: string[];
  onPick: (value: string) => void;
}) {
  return (
    <select
      aria-label={label}
      value=""
      onChange={(e) => {
        if (e.target.value) onPick(e.target.value);
      }}
    >
      <option value="">{placeholder}</option>
      {options.map((o) => (
        <option key={o} value={o}>
          {o}
        </option>
      ))}
    </select>
  );
}
