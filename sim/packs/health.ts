/**
 * Health scenario: patients' wearables report heart rate and SpO2 around
 * each patient's own baseline; injected episodes (tachycardia,
 * desaturation) raise critical alarms for the care team. The care team are
 * operators of the tenant the simulation runs in: the tenant is the privacy
 * boundary (run it in its own tenant, e.g. `--tenant clinic`).
 */
import { randomBytes } from 'node:crypto';
import { SimError } from '../api.js';
import type { DeviceModel, ScenarioPack, SimApi, SimDevice, Timing } from '../pack.js';
import { simDuration } from '../timing.js';
import { checkNumbers, optionError, parseClock } from './daily.js';
import { baselineOf, EPISODE_KINDS, type Episode, type EpisodeKind, Wearable } from './health-models.js';

export interface EpisodeSpec {
  /** 1-based patient number (health-wearable-<patient>). */
  readonly patient: number;
  readonly kind: EpisodeKind;
  /** Sim minutes after the start (it also waits for `minReadings`). */
  readonly atMin: number;
  /** How long it lasts, sim minutes (default 15). */
  readonly minutes?: number;
}

export interface HealthOptions {
  /** Default: patient 1 tachycardia at 20 min, patient 2 desaturation at 30 min. */
  readonly episodes?: readonly EpisodeSpec[];
  /** Readings a wearable sends before an episode may start (default 30: past the anomaly rule's warmup). */
  readonly minReadings?: number;
  /** Care-team members (user names `<tenant>-<name>`, role operator; default nurse, doctor). */
  readonly careTeam?: readonly string[];
  /** Their password (default: a random one per run; an admin sets another with PATCH /api/v1/users/{name}). */
  readonly careTeamPassword?: string;
  /** Simulated time of day at the start, 'HH:MM' (default '10:00'). */
  readonly start?: string;
}

const DEFAULT_EPISODES: readonly EpisodeSpec[] = [
  { patient: 1, kind: 'tachycardia', atMin: 20 },
  { patient: 2, kind: 'desaturation', atMin: 30 },
];
/** Readings the anomaly rule learns from before it judges (the wearables wait a little longer). */
const ANOMALY_WARMUP = 30;

const profile = {
  id: 'health-wearable',
  name: 'Patient wearable',
  description: 'Wrist-worn monitor: heart rate, SpO2, skin temperature',
  telemetry: {
    heart_rate: { type: 'number', unit: 'bpm', min: 20, max: 250 },
    spo2: { type: 'number', unit: '%', min: 50, max: 100, description: 'blood oxygen saturation' },
    skin_temp: { type: 'number', unit: '°C', min: 25, max: 42 },
    battery: { type: 'number', unit: '%', min: 0, max: 100 },
  },
};

/** The user names of the care team in a tenant. */
export const careTeamUsers = (tenant: string, team: readonly string[]): string[] =>
  team.map((n) => `${tenant}-${n}`);

function checkEpisodes(list: readonly EpisodeSpec[]): void {
  if (!Array.isArray(list)) throw optionError('episodes must be a list of {patient, kind, atMin, minutes?}');
  list.forEach((e, i) => {
    checkNumbers([e?.patient], `episodes[${i}].patient`);
    if (!EPISODE_KINDS.includes(e.kind))
      throw optionError(
        `episodes[${i}].kind must be ${EPISODE_KINDS.join(' or ')}, got ${JSON.stringify(e.kind)}`,
      );
    if (typeof e.atMin !== 'number' || !Number.isFinite(e.atMin) || e.atMin < 0)
      throw optionError(`episodes[${i}].atMin must be 0 or more minutes, got ${String(e.atMin)}`);
    if (e.minutes !== undefined && (!Number.isFinite(e.minutes) || e.minutes <= 0 || e.minutes > 1440))
      throw optionError(`episodes[${i}].minutes must be above 0 and at most 1440, got ${String(e.minutes)}`);
  });
}

export function createHealthPack(opts: HealthOptions = {}): ScenarioPack {
  const episodes = opts.episodes ?? DEFAULT_EPISODES;
  checkEpisodes(episodes);
  const minReadings = opts.minReadings ?? ANOMALY_WARMUP + 10;
  if (!Number.isInteger(minReadings) || minReadings < 0 || minReadings > 100_000)
    throw optionError(`minReadings must be a whole number 0-100000, got ${String(minReadings)}`);
  const team = opts.careTeam ?? ['nurse', 'doctor'];
  if (
    !Array.isArray(team) ||
    team.length > 50 ||
    team.some((n) => typeof n !== 'string' || !/^[a-z0-9._-]{1,40}$/.test(n))
  )
    throw optionError('careTeam must be a list of at most 50 names (a-z, 0-9, . _ -, 1-40 characters)');
  const password = opts.careTeamPassword;
  if (
    password !== undefined &&
    (typeof password !== 'string' || password.length < 8 || password.length > 256)
  )
    throw optionError('careTeamPassword must be 8-256 characters');
  const startS = parseClock(opts.start ?? '10:00', 'start');

  return {
    name: 'health',
    title: 'Remote patient monitoring: wearables, anomaly and SpO2 alarms for the care team',
    description:
      'Each patient wears a monitor sending heart rate and SpO2 around their own baseline. Patient 1 has a ' +
      'tachycardia episode (rules health-heart-rate-anomaly and health-tachycardia), patient 2 a desaturation ' +
      '(health-desaturation: SpO2 < 90 % for a minute); the alarms are critical. The care team (operators of ' +
      "this tenant) see them; other tenants see nothing. Dashboard: alarms, a patient's heart rate chart.",
    defaults: { devices: 6, intervalS: 5 },
    profiles: [profile],
    rules: (t: Timing) => [
      {
        name: 'health-heart-rate-anomaly',
        description: "Heart rate far from the patient's own recent baseline (EWMA z-score)",
        target: { profile: 'health-wearable' },
        condition: { type: 'anomaly', key: 'heart_rate', threshold: 5, alpha: 0.05, warmup: ANOMALY_WARMUP },
        alarm: {
          type: 'heart-rate-anomaly',
          severity: 'critical',
          message: '{{device}}: heart rate {{value}} bpm is unusual for this patient',
        },
      },
      {
        name: 'health-tachycardia',
        description: 'Heart rate above 120 bpm for 2 minutes',
        target: { profile: 'health-wearable' },
        condition: { type: 'threshold', key: 'heart_rate', op: '>', value: 120, for: simDuration(120, t) },
        alarm: { type: 'tachycardia', severity: 'critical', message: '{{device}}: heart rate {{value}} bpm' },
      },
      {
        name: 'health-desaturation',
        description: 'SpO2 under 90 % for a minute',
        target: { profile: 'health-wearable' },
        condition: { type: 'threshold', key: 'spo2', op: '<', value: 90, for: simDuration(60, t) },
        alarm: { type: 'desaturation', severity: 'critical', message: '{{device}}: SpO2 {{value}} %' },
      },
    ],
    devices: (n: number): SimDevice[] => {
      if (!Number.isInteger(n) || n < 1) throw optionError(`devices must be a whole number >= 1, got ${n}`);
      return Array.from({ length: n }, (_, i) => ({
        id: `health-wearable-${i + 1}`,
        profile: 'health-wearable',
        labels: {
          patient: `patient-${String(i + 1).padStart(3, '0')}`,
          ward: i % 2 === 0 ? 'ward-a' : 'ward-b',
        },
      }));
    },
    model: (d: SimDevice, _index: number, _t: Timing, rng: () => number): DeviceModel => {
      const m = /^health-wearable-(\d+)$/.exec(d.id);
      if (!m) throw optionError(`${d.id} is not a health device (health-wearable-<n>)`);
      const patient = Number(m[1]);
      const own: Episode[] = episodes
        .filter((e) => e.patient === patient)
        .map((e) => ({ kind: e.kind, atS: e.atMin * 60, durationS: (e.minutes ?? 15) * 60 }));
      return new Wearable(baselineOf(rng), own, minReadings, startS, rng);
    },
    setup: async (api: SimApi) => {
      const me = await api.request<{ actingTenant: string }>('GET', '/api/v1/auth/me');
      for (const username of careTeamUsers(me.actingTenant, team)) {
        try {
          await api.request('POST', '/api/v1/users', {
            username,
            password: password ?? randomBytes(18).toString('base64url'),
            role: 'operator',
          });
        } catch (err) {
          if (!(err instanceof SimError && err.status === 409)) throw err; // there from an earlier run: kept
        }
      }
    },
  };
}

export const healthPack: ScenarioPack = createHealthPack();
export const pack = healthPack;
export default healthPack;
