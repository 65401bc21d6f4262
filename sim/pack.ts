/**
 * What a scenario pack is: the resources it provisions (profiles, groups,
 * rules, devices) and the behaviour of each simulated device. The runner
 * (runner.ts) does all I/O; a pack is data plus pure, seeded models.
 * Type-only file.
 */

/** How fast simulated time runs. */
export interface Timing {
  /** Sim seconds per real second (CLI --speed, default 1). */
  readonly speed: number;
}

/** One simulated device to provision. */
export interface SimDevice {
  readonly id: string;
  readonly profile: string;
  readonly groups?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

/** Pure physics and behaviour of one device, driven by a seeded RNG. */
export interface DeviceModel {
  /** Advance by dt sim-seconds at wall time now; the telemetry to send now (or undefined). */
  step(now: number, dt: number): Record<string, number | boolean | string> | undefined;
  /** Events to send now (door opened...), drained each step. */
  events?(): { type: string; data?: Record<string, unknown> }[];
  /** Obey a command (e.g. shutdown → cool down); the return value is the command's result. */
  onCommand?(name: string, params: Record<string, unknown>): unknown;
  /** Follow the twin's desired state. */
  onDesired?(state: Record<string, unknown>): void;
  /** Twin reported state to send after a change, or undefined. */
  reported?(): Record<string, unknown> | undefined;
}

/** Thin REST client the runner passes to packs (sim/api.ts). */
export interface SimApi {
  /** Throws SimError (with the HTTP status) on a non-2xx answer. */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export interface ScenarioPack {
  /** 'factory' | 'fleet' | 'home' | 'health' | 'grid' */
  readonly name: string;
  /** One line for --list and the progress header. */
  readonly title: string;
  /** What happens, what to look at in the dashboard. */
  readonly description: string;
  /** Fleet size and per-device send interval (real seconds) when the CLI does not say. */
  readonly defaults: { readonly devices: number; readonly intervalS: number };
  /** POST /api/v1/profiles bodies (telemetry keys, units). */
  readonly profiles: readonly Record<string, unknown>[];
  /** POST /api/v1/groups bodies. */
  readonly groups?: readonly Record<string, unknown>[];
  /** POST /api/v1/rules bodies (durations ÷ speed). */
  rules(t: Timing): readonly Record<string, unknown>[];
  devices(n: number): readonly SimDevice[];
  model(d: SimDevice, index: number, t: Timing, rng: () => number): DeviceModel;
  /** Extra REST setup (users, twins' desired schedules...), given the REST client. */
  setup?(api: SimApi, t: Timing): Promise<void>;
}
