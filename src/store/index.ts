import type { AlarmStore } from './alarms.js';
import type { AuditStore } from './audit.js';
import type { AuthStore } from './auth.js';
import type { CommandStore } from './commands.js';
import type { MqttStore } from './mqtt.js';
import type { MqttUserStore } from './mqtt-users.js';
import type { OutboxStore } from './outbox.js';
import type { RegistryStore } from './registry.js';
import type { RuleStateStore } from './rule-state.js';
import type { RuleStore } from './rules.js';
import type { TelemetryStore, TelemetryWriter } from './telemetry.js';
import type { TwinStore } from './twin.js';

export type { AlarmActorNote, AlarmQuery, AlarmRaise, AlarmStore } from './alarms.js';
export type { AuditStore } from './audit.js';
export type { AuthStore } from './auth.js';
export type { CommandBatch, CommandQuery, CommandStore } from './commands.js';
export type { MqttMessageRecord, MqttQueuedRecord, MqttSessionRecord, MqttStore } from './mqtt.js';
export type { MqttUserStore } from './mqtt-users.js';
export { type OpenedStores, openStores } from './open.js';
export type { OutboxItem, OutboxStore } from './outbox.js';
export type { Page, PageQuery } from './page.js';
export type { DeviceFilter, RegistryStore } from './registry.js';
export type { DeviceRuleStates, RuleStateRow, RuleStateStore, SavedRuleState } from './rule-state.js';
export type { RuleChange, RuleQuery, RuleSaved, RuleStore, StoredRule, StoredRuleVersion } from './rules.js';
export type {
  AggregateQuery,
  AggregateSource,
  Bucket,
  EventRow,
  LatestValue,
  PointRow,
  PurgeRule,
  Scalar,
  StoredEvent,
  TelemetryStore,
  TelemetryWriter,
} from './telemetry.js';
export type { TwinStore } from './twin.js';

/** Every store the platform needs, from one backend. */
export interface Stores {
  readonly kind: 'sqlite' | 'postgres';
  readonly registry: RegistryStore;
  readonly auth: AuthStore;
  readonly audit: AuditStore;
  readonly mqtt: MqttStore;
  readonly mqttUsers: MqttUserStore;
  readonly telemetry: TelemetryStore;
  /** The telemetry write path (group commit); created once, closed before close(). */
  readonly telemetryWriter: TelemetryWriter;
  readonly twins: TwinStore;
  readonly commands: CommandStore;
  readonly ruleStates: RuleStateStore;
  readonly rules: RuleStore;
  readonly alarms: AlarmStore;
  readonly outbox: OutboxStore;
  /** Resolves when the database answers a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
