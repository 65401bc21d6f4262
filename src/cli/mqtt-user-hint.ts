import { hostOf, mqttUsername, shellQuote } from './connect-hint.js';

/** A rule as the API returns it. */
export interface HintRule {
  readonly permission: string;
  readonly action: string;
  readonly topic: string;
}

export interface MqttUserHint {
  readonly url: string;
  readonly port: number;
  readonly username: string;
  readonly tenant: string;
  readonly secret: string;
  readonly rules: readonly HintRule[];
}

/**
 * The "try it" line printed with a fresh MQTT user secret: mosquitto_sub on
 * the first topic a rule lets the user subscribe to (else mosquitto_pub on
 * the first it may publish to), with `%u`/`%c` filled in; undefined when no
 * rule allows anything. A rule's first match wins, so an earlier deny may
 * still refuse the line's topic: it is a hint, not a proof.
 */
export function mqttUserLine(h: MqttUserHint): string | undefined {
  const allows = (a: string) =>
    h.rules.find((r) => r.permission === 'allow' && (r.action === a || r.action === 'both'));
  const sub = allows('subscribe');
  const rule = sub ?? allows('publish');
  if (!rule) return undefined;
  const levels = rule.topic.split('/');
  const clientId = levels.includes('%c') ? h.username : undefined;
  let topic = levels.map((l) => (l === '%u' ? h.username : l === '%c' ? h.username : l));
  // A publish needs a topic name: wildcards become plain levels.
  if (!sub) topic = topic.map((l) => (l === '+' ? 'x' : l === '#' ? 'test' : l));
  const secret = `'${h.secret.replaceAll("'", `'\\''`)}'`;
  return [
    sub ? 'mosquitto_sub' : 'mosquitto_pub',
    `-h ${shellQuote(hostOf(h.url))}`,
    `-p ${h.port}`,
    ...(clientId === undefined ? [] : [`-i ${shellQuote(clientId)}`]),
    `-u ${shellQuote(mqttUsername(h.username, h.tenant))}`,
    `-P ${secret}`,
    `-t ${shellQuote(topic.join('/'))}`,
    ...(sub ? ['-v'] : [`-m 'hello'`]),
  ].join(' ');
}
