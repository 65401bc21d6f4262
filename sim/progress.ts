/**
 * The simulator's one-line progress, and the summary at the end. Pure
 * formatting: the CLI decides where and how often to print it.
 */

/** Where a run is. A "point" is one telemetry message (one timestamp, several values). */
export interface Progress {
  /** Devices connected now. */
  readonly connected: number;
  /** Devices in the fleet. */
  readonly devices: number;
  /** Telemetry messages acknowledged per second, over the last few seconds. */
  readonly pointsPerSec: number;
  /** Telemetry messages acknowledged since the start. */
  readonly points: number;
  /** Commands the devices carried out and answered. */
  readonly commandsAnswered: number;
  /** Open alarms of the tenant (active or acknowledged), polled every 2 s. */
  readonly alarmsActive: number;
  /** Sends refused, commands that failed, connection errors. */
  readonly errors: number;
}

/** The run's end: the last progress, how long it ran, and the seed that repeats it. */
export interface Summary extends Progress {
  readonly elapsedMs: number;
  readonly seed: number;
}

const thousands = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1204 → "1,204"; rates below 10 keep one decimal ("2.5"). */
export function formatCount(n: number): string {
  return thousands.format(Math.round(n));
}

function formatRate(n: number): string {
  return n > 0 && n < 10 ? n.toFixed(1) : formatCount(n);
}

const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

/**
 * `factory  20/20 connected  38 pts/s  1,204 points  2 commands answered  1 alarm active  (Ctrl-C stops)`.
 * Errors are shown only when there are some.
 */
export function formatProgress(name: string, p: Progress, hint = '(Ctrl-C stops)'): string {
  const parts = [
    name,
    `${formatCount(p.connected)}/${formatCount(p.devices)} connected`,
    `${formatRate(p.pointsPerSec)} pts/s`,
    plural(p.points, 'point', 'points'),
    plural(p.commandsAnswered, 'command answered', 'commands answered'),
    plural(p.alarmsActive, 'alarm active', 'alarms active'),
  ];
  if (p.errors > 0) parts.push(plural(p.errors, 'error', 'errors'));
  if (hint) parts.push(hint);
  return parts.join('  ');
}

/** `1 min 5 s`, `12 s`, `2 h 3 min`. */
export function formatElapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The closing line: `Stopped factory after 1 min 5 s: 20 devices, 1,204 points (18.5 pts/s), ...`. */
export function formatSummary(name: string, s: Summary): string {
  const avg = s.elapsedMs > 0 ? (s.points * 1000) / s.elapsedMs : 0;
  return [
    `Stopped ${name} after ${formatElapsed(s.elapsedMs)}: ${plural(s.devices, 'device', 'devices')}`,
    `${plural(s.points, 'point', 'points')} (${formatRate(avg)} pts/s)`,
    plural(s.commandsAnswered, 'command answered', 'commands answered'),
    plural(s.alarmsActive, 'alarm active', 'alarms active'),
    plural(s.errors, 'error', 'errors'),
  ].join(', ');
}

/**
 * Messages per second over a sliding window of samples: fed the running
 * total now and then, it answers the rate between the oldest kept sample
 * and the newest, so one slow second does not swing the number.
 */
export class RateMeter {
  readonly #windowMs: number;
  readonly #samples: { t: number; total: number }[] = [];

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  add(t: number, total: number): number {
    this.#samples.push({ t, total });
    while (this.#samples.length > 2 && t - (this.#samples[1]?.t ?? t) >= this.#windowMs)
      this.#samples.shift();
    const first = this.#samples[0];
    if (!first || t <= first.t) return 0;
    return ((total - first.total) * 1000) / (t - first.t);
  }
}
