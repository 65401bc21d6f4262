import { Counter, Gauge, type Registry } from 'prom-client';

export interface MqttMetrics {
  readonly connections: Gauge;
  readonly received: Counter;
  readonly denied: Counter<'action'>;
  readonly dropped: Counter<'reason'>;
  readonly throttled: Counter;
  readonly authFailures: Counter;
}

/** Broker metrics, registered on the app's registry (no per-device labels: cardinality stays bounded). */
export function createMqttMetrics(registry: Registry): MqttMetrics {
  const registers = [registry];
  return {
    connections: new Gauge({
      name: 'plexus_mqtt_connections',
      help: 'Open MQTT network connections.',
      registers,
    }),
    received: new Counter({
      name: 'plexus_mqtt_messages_received_total',
      help: 'PUBLISH packets received from clients.',
      registers,
    }),
    denied: new Counter({
      name: 'plexus_mqtt_denied_total',
      help: 'Publishes and subscribes refused by the ACL.',
      labelNames: ['action'],
      registers,
    }),
    dropped: new Counter({
      name: 'plexus_mqtt_dropped_total',
      help: 'Messages not delivered or not stored, by reason (queue_full, slow_client, payload_format, payload_invalid).',
      labelNames: ['reason'],
      registers,
    }),
    throttled: new Counter({
      name: 'plexus_mqtt_throttled_total',
      help: 'Times a device was paused for exceeding its message or byte rate.',
      registers,
    }),
    authFailures: new Counter({
      name: 'plexus_mqtt_auth_failures_total',
      help: 'Refused MQTT logins.',
      registers,
    }),
  };
}
