import type { Latest, Profile, Scalar } from '../../api/types';
import { When } from '../../components/ui';

/** Sensor values as sent: no thousands separators, at most 4 decimals. */
export function formatScalar(v: Scalar): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(4)));
  return String(v);
}

/** The last value of every key, with its unit and age; updated live by the telemetry tab. */
export function LatestValues({ latest, profile }: { latest: Latest; profile: Profile | undefined }) {
  const keys = Object.keys(latest).sort();
  return (
    <ul className="dev-latest" aria-label="Latest values">
      {keys.map((k) => {
        const p = latest[k];
        if (!p) return null;
        const def = profile?.telemetry[k];
        return (
          <li key={k} className="dev-latest-item" data-testid={`latest-${k}`}>
            <span className="dev-latest-key" title={def?.description ?? k}>
              {k}
            </span>
            <span className={`dev-latest-value ${typeof p.value === 'boolean' ? `bool-${p.value}` : ''}`}>
              {formatScalar(p.value)}
              {def?.unit ? <span className="dev-unit"> {def.unit}</span> : null}
            </span>
            <span className="dev-latest-age muted">
              <When at={p.ts} />
            </span>
          </li>
        );
      })}
    </ul>
  );
}
