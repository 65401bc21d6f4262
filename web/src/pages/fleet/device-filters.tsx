import type { Group, Profile } from '../../api/types';

export interface FilterValues {
  readonly search: string;
  readonly profile: string;
  readonly group: string;
  readonly status: string;
  readonly label: string;
}

/** The device list's filter bar: every control labelled (visually hidden labels keep it compact). */
export function DeviceFilters({
  values,
  profiles,
  groups,
  onChange,
  labelValid,
  onClear,
}: {
  values: FilterValues;
  profiles: readonly Profile[];
  groups: readonly Group[];
  onChange: (name: keyof FilterValues, value: string) => void;
  labelValid: boolean;
  /** Shown when a filter is set. */
  onClear: (() => void) | undefined;
}) {
  return (
    <>
      <search className="filters device-filters">
        <label>
          <span className="sr-only">Search devices by id or name</span>
          <input
            type="search"
            name="q"
            placeholder="Search id or name…"
            value={values.search}
            onChange={(e) => onChange('search', e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <label>
          <span className="sr-only">Status</span>
          <select name="status" value={values.status} onChange={(e) => onChange('status', e.target.value)}>
            <option value="">Any status</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
            <option value="unknown">Never seen</option>
          </select>
        </label>
        <label>
          <span className="sr-only">Profile</span>
          <select name="profile" value={values.profile} onChange={(e) => onChange('profile', e.target.value)}>
            <option value="">Any profile</option>
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name && p.name !== p.id ? `${p.name} (${p.id})` : p.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="sr-only">Group</span>
          <select name="group" value={values.group} onChange={(e) => onChange('group', e.target.value)}>
            <option value="">Any group</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name && g.name !== g.id ? `${g.name} (${g.id})` : g.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="sr-only">Labels (key=value, comma-separated)</span>
          <input
            className="label-filter mono"
            name="label"
            placeholder="label=value"
            value={values.label}
            onChange={(e) => onChange('label', e.target.value)}
            aria-invalid={!labelValid}
            aria-describedby={labelValid ? undefined : 'label-filter-note'}
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        {onClear ? (
          <button type="button" className="btn btn-ghost" onClick={onClear}>
            Clear filters
          </button>
        ) : null}
      </search>
      {labelValid ? null : (
        <p className="filter-note field-error" id="label-filter-note" role="status">
          Labels filter as key=value (several: site=lyon, floor=2); other parts are ignored.
        </p>
      )}
    </>
  );
}
