/** An on/off switch (a button with role="switch"), usable by keyboard. */
export function Switch({
  on,
  label,
  busy,
  disabled,
  title,
  onChange,
}: {
  on: boolean;
  label: string;
  busy?: boolean;
  disabled?: boolean;
  title?: string | undefined;
  onChange: () => void;
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={on}
      aria-label={label}
      aria-busy={busy}
      disabled={disabled || busy}
      title={title}
      className={`rx-switch ${on ? 'rx-on' : ''}`}
      onClick={onChange}
    >
      <span className="rx-switch-knob" aria-hidden="true" />
      <span className="rx-switch-text">{on ? 'On' : 'Off'}</span>
    </button>
  );
}
