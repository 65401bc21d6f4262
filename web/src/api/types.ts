/** Shapes of the REST API's answers (ARCHITECTURE §6.1), as the dashboard reads them. */

export type Role = 'admin' | 'operator' | 'viewer';
export type DeviceStatus = 'unknown' | 'online' | 'offline';
export type Severity = 'critical' | 'major' | 'minor' | 'warning' | 'info';
export type AlarmStatus = 'active' | 'acknowledged' | 'cleared';
export type Scalar = number | boolean | string;

export interface Me {
  readonly kind: 'user' | 'apikey';
  readonly id: string;
  readonly tenant: string;
  readonly role: Role;
  readonly platformAdmin: boolean;
  readonly actingTenant: string;
}

export interface Info {
  readonly version: string;
  readonly mqtt: { readonly tcp: number; readonly tls?: number; readonly ws: string };
  readonly map?: { readonly tiles: string; readonly attribution: string };
}

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface TelemetryKeyDef {
  readonly type: 'number' | 'boolean' | 'string';
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly description?: string;
}

export interface Profile {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly codec: string;
  readonly telemetry: Record<string, TelemetryKeyDef>;
  readonly inactivityTimeout: number;
  readonly retentionDays: number;
  readonly rollupRetentionDays: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Group {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
}

export interface Device {
  readonly id: string;
  readonly name: string;
  readonly profile: string;
  readonly groups: string[];
  readonly labels: Record<string, string>;
  readonly enabled: boolean;
  readonly status: DeviceStatus;
  readonly lastSeen: string | null;
  readonly firmware: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A created device, or a new secret: the secret is shown once. */
export interface WithSecret {
  readonly secret: string;
}

export interface Credential {
  readonly id: string;
  readonly kind: 'secret';
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export type Latest = Record<string, { readonly ts: number; readonly value: Scalar }>;

export interface RawPoint {
  readonly key: string;
  readonly ts: number;
  readonly value: Scalar;
}

export interface Bucket {
  readonly key: string;
  readonly ts: number;
  readonly min?: number;
  readonly max?: number;
  readonly avg?: number;
  readonly last?: number;
  readonly count?: number;
}

export interface DeviceEvent {
  readonly id: number;
  readonly ts: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

export interface Twin {
  readonly desired: Record<string, unknown>;
  readonly reported: Record<string, unknown>;
  readonly delta: Record<string, unknown>;
  readonly version: number;
  readonly desiredVersion: number;
  readonly reportedVersion: number;
}

export type CommandStatus =
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'expired'
  | 'cancelled';

export interface Command {
  readonly id: string;
  readonly device: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly status: CommandStatus;
  readonly createdAt: number;
  readonly completedAt?: number;
  readonly result?: unknown;
  readonly error?: unknown;
  readonly actor: string;
}

export interface Alarm {
  readonly id: string;
  readonly device: string;
  readonly rule?: string;
  readonly type: string;
  readonly severity: Severity;
  readonly status: AlarmStatus;
  readonly message: string;
  readonly details?: Record<string, unknown>;
  readonly raisedAt: number;
  readonly lastAt: number;
  readonly count: number;
  readonly acknowledgedAt?: number;
  readonly acknowledgedBy?: string;
  readonly clearedAt?: number;
  readonly clearedBy?: string;
  readonly comments?: { readonly at: number; readonly author: string; readonly text: string }[];
}

export interface AlarmCounts {
  readonly total: number;
  /** Devices with at least one open alarm. */
  readonly devices: number;
  readonly bySeverity: Record<Severity, number>;
  readonly byStatus: Record<AlarmStatus, number>;
}

export interface RuleSpec {
  readonly name: string;
  readonly description?: string;
  readonly enabled: boolean;
  readonly target: {
    readonly devices?: string[];
    readonly groups?: string[];
    readonly profile?: string;
    readonly labels?: Record<string, string>;
  };
  readonly condition: Record<string, unknown>;
  readonly alarm?: {
    readonly type: string;
    readonly severity: Severity;
    readonly autoClear: boolean;
    readonly message?: string;
  };
  readonly actions: Record<string, unknown>[];
  readonly throttleMs: number;
}

export interface Rule {
  readonly name: string;
  readonly version: number;
  readonly enabled: boolean;
  readonly spec: RuleSpec;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export interface DryRun {
  readonly rule: string;
  readonly from: number;
  readonly to: number;
  readonly tickMs: number;
  readonly devices: number;
  readonly points: number;
  readonly events: number;
  readonly firings: {
    readonly device: string;
    readonly at: number;
    readonly until: number | null;
    readonly key?: string;
    readonly value?: Scalar;
    readonly acts: boolean;
  }[];
  readonly total: number;
  readonly truncated: boolean;
  readonly notes: string[];
}

export interface User {
  readonly username: string;
  readonly tenant: string;
  readonly role: Role;
  readonly platformAdmin: boolean;
  readonly createdAt: string;
  readonly lastLoginAt: string | null;
}

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export interface AuditRecord {
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceId: string | null;
  readonly status: number;
  readonly ip: string | null;
  readonly details: Record<string, unknown> | null;
}

/** GET /api/v1/overview: the fleet at a glance. */
export interface Overview {
  readonly devices: {
    readonly total: number;
    readonly online: number;
    readonly offline: number;
    readonly unknown: number;
  };
  readonly alarms: AlarmCounts;
  readonly ingest: { readonly pointsPerSecond: number; readonly messagesPerSecond: number };
}

export interface Position {
  readonly device: string;
  readonly lat: number;
  readonly lon: number;
  readonly ts: number;
}
