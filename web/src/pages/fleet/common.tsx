import { useEffect, useRef, useState } from 'react';
import { useQueryParam } from '../../lib/router';
import './fleet.css';

/** Whether live updates flow: a dot and a word, so it is not told by colour alone. */
export function LiveDot({ live }: { live: boolean }) {
  return (
    <span
      className={`live ${live ? 'on' : ''}`}
      title={live ? 'Live updates on' : 'Connecting to live updates'}
    >
      <span className="dot" aria-hidden="true" />
      {live ? 'Live' : 'Connecting…'}
    </span>
  );
}

/**
 * A text box bound to a query parameter: the box follows each keystroke, the
 * URL (and so the request) only after `ms` of quiet.
 */
export function useDebouncedParam(name: string, ms = 250): [string, (v: string) => void] {
  const [param, setParam] = useQueryParam(name);
  const [text, setText] = useState(param);
  const sent = useRef(param);
  // The URL changed from elsewhere (back button, "Clear filters"): follow it.
  useEffect(() => {
    if (param !== sent.current) {
      sent.current = param;
      setText(param);
    }
  }, [param]);
  const setRef = useRef(setParam);
  setRef.current = setParam;
  useEffect(() => {
    if (text === sent.current) return;
    const t = setTimeout(() => {
      sent.current = text;
      setRef.current(text);
    }, ms);
    return () => clearTimeout(t);
  }, [text, ms]);
  return [text, setText];
}

/** `site=lyon, floor=2` → ['site=lyon', 'floor=2'] and whether every part had a key and an `=`. */
export function parseLabels(text: string): { labels: string[]; valid: boolean } {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const labels = parts.filter((p) => /^[^=\s][^=]*=.*$/.test(p)).map((p) => p.replace(/\s*=\s*/, '='));
  return { labels, valid: labels.length === parts.length };
}

/** The MQTT user name of a device: `id`, or `id@tenant` outside the default tenant (docs/mqtt.md). */
export function mqttUser(device: string, tenant: string): string {
  return tenant === 'default' ? device : `${device}@${tenant}`;
}
