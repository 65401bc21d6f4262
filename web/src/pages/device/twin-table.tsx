import type { Twin } from '../../api/types';
import { When } from '../../components/ui';

/** Leaves of a document as dotted paths (`temp.target`); arrays count as one value. */
export function flatten(
  doc: unknown,
  prefix = '',
  out: Map<string, unknown> = new Map(),
): Map<string, unknown> {
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const entries = Object.entries(doc as Record<string, unknown>);
    if (entries.length === 0 && prefix) out.set(prefix, {});
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, doc);
  return out;
}

const show = (v: unknown) => JSON.stringify(v);

type WithMeta = Twin & { metadata?: { desired?: Record<string, number>; reported?: Record<string, number> } };

/** Desired and reported side by side, key by key; what the device still has to do stands out. */
export function TwinTable({ twin }: { twin: Twin }) {
  const desired = flatten(twin.desired);
  const reported = flatten(twin.reported);
  const delta = flatten(twin.delta);
  const meta = (twin as WithMeta).metadata;
  const paths = [...new Set([...desired.keys(), ...reported.keys()])].sort();
  if (paths.length === 0) return <p className="muted">Both sides are empty.</p>;
  return (
    <div className="table-wrap">
      <table className="dev-twin-table">
        <caption className="sr-only">Desired and reported values by key</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Desired</th>
            <th scope="col">Reported</th>
            <th scope="col" className="dev-twin-state">
              State
            </th>
          </tr>
        </thead>
        <tbody>
          {paths.map((p) => {
            const pending = delta.has(p);
            return (
              <tr key={p} className={pending ? 'dev-pending' : undefined}>
                <th scope="row" className="mono dev-twin-key">
                  {p}
                  {pending ? (
                    <div className="dev-twin-state-inline dev-small">waiting for the device</div>
                  ) : null}
                </th>
                <td className="mono">
                  {desired.has(p) ? show(desired.get(p)) : <span className="muted">—</span>}
                  {meta?.desired?.[p] ? (
                    <div className="dev-small muted">
                      <When at={meta.desired[p]} />
                    </div>
                  ) : null}
                </td>
                <td className="mono">
                  {reported.has(p) ? show(reported.get(p)) : <span className="muted">—</span>}
                  {meta?.reported?.[p] ? (
                    <div className="dev-small muted">
                      <When at={meta.reported[p]} />
                    </div>
                  ) : null}
                </td>
                <td className="dev-twin-state">
                  {pending ? (
                    <span className="badge dev-badge-pending">waiting for the device</span>
                  ) : desired.has(p) ? (
                    <span className="badge dev-badge-sync">in sync</span>
                  ) : (
                    <span className="muted">reported only</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
