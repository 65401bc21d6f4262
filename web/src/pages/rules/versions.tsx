import { useState } from 'react';
import { api, path } from '../../api/client';
import type { RuleSpec } from '../../api/types';
import { Button, Dialog, ErrorNote, Json, Loading, When } from '../../components/ui';
import { useApi } from '../../lib/use-api';
import { actorName } from '../alarms/actor';
import { conditionText, toDocument } from './document';

interface Version {
  readonly version: number;
  readonly spec: RuleSpec;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** Every saved version of a rule, newest first; any can be loaded back into the editor. */
export function RuleVersions({
  name,
  current,
  round,
  onLoad,
}: {
  name: string;
  current: number | undefined;
  /** Changes after each save, to reload the list. */
  round: number;
  onLoad: (doc: Record<string, unknown>, version: number) => void;
}) {
  const versions = useApi(() => api.get<{ items: Version[] }>(path`/rules/${name}/versions`), [name, round]);
  const [shown, setShown] = useState<Version | undefined>(undefined);
  if (versions.error) return <ErrorNote error={versions.error} onRetry={versions.reload} />;
  if (!versions.data) return <Loading what="Loading versions" />;
  return (
    <>
      <ol className="rx-versions">
        {versions.data.items.map((v) => (
          <li key={v.version}>
            <div className="row">
              <strong>v{v.version}</strong>
              {v.version === current ? <span className="rx-chip">current</span> : null}
              <span className="muted rx-small">
                <When at={v.createdAt} /> by {actorName(v.createdBy)}
              </span>
            </div>
            <div className="row rx-version-line">
              <code className="rx-cond-text">{conditionText(v.spec.condition)}</code>
              {v.spec.enabled ? null : <span className="rx-chip">disabled</span>}
            </div>
            <div className="row">
              <Button kind="ghost" onClick={() => setShown(v)} aria-label={`Show version ${v.version}`}>
                Show
              </Button>
              {v.version === current ? null : (
                <Button
                  kind="ghost"
                  onClick={() => onLoad(toDocument(v.spec), v.version)}
                  aria-label={`Load version ${v.version} into the editor`}
                >
                  Load into editor
                </Button>
              )}
            </div>
          </li>
        ))}
      </ol>
      <Dialog
        open={shown !== undefined}
        title={shown ? `${name}, version ${shown.version}` : ''}
        onClose={() => setShown(undefined)}
      >
        {shown ? (
          <div className="stack">
            <p className="muted">
              Saved <When at={shown.createdAt} /> by {actorName(shown.createdBy)}.
            </p>
            <Json value={toDocument(shown.spec)} />
          </div>
        ) : null}
      </Dialog>
    </>
  );
}
