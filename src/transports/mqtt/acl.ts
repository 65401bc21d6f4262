import { topicMatches } from '../../core/topic.js';
import type { AclSubject } from '../../core/topic-acl.js';
import type { Identity } from './identity.js';

/**
 * Default-deny topic rules (ARCHITECTURE §4-5). Every tenant has its own
 * namespace, so these decide only within a tenant. A device owns
 * `devices/{id}/...`: it publishes what flows to the platform (telemetry,
 * events, reported state, command results) and subscribes to what flows to
 * it (desired state, commands); its profile may grant `m2m/...` filters.
 * API keys act for programs in the whole tenant; viewers only listen.
 * MQTT users and anonymous clients follow their ordered rules
 * (core/topic-acl.ts); they may read the `devices/` tree where a rule
 * allows, never write it: device data and commands keep their identities.
 */
export function mayPublish(who: Identity, clientId: string, topic: string): boolean {
  if (topic.startsWith('$')) return false;
  if (who.kind === 'apikey') return who.role !== 'viewer';
  if (who.kind === 'user')
    return !topic.startsWith('devices/') && who.acl.mayPublish(subject(who, clientId), topic);
  const own = `devices/${who.id}/`;
  if (topic.startsWith(own)) {
    const rest = topic.slice(own.length);
    // Platform → device topics are not the device's to write.
    if (rest === 'twin/desired') return false;
    if (rest.startsWith('commands/')) return /^commands\/[^/]+\/result$/.test(rest);
    return rest.length > 0;
  }
  return who.grants.publish.some((g) => topicMatches(g, topic));
}

export function maySubscribe(who: Identity, clientId: string, filter: string): boolean {
  if (who.kind === 'apikey') return true;
  if (who.kind === 'user') return who.acl.maySubscribe(subject(who, clientId), filter);
  const own = `devices/${who.id}/`;
  // The id level must be literal: `devices/+/...` would reach other devices.
  if (filter.startsWith(own)) return true;
  return who.grants.subscribe.some((g) => filterWithin(filter, g));
}

/**
 * Checked again on each delivery to a user (subscriptions are granted by
 * the filter; a deny rule inside it, or rules changed since, apply here).
 */
export function mayReceive(who: Identity, clientId: string, topic: string): boolean {
  return who.kind !== 'user' || who.acl.mayReceive(subject(who, clientId), topic);
}

function subject(who: Identity & { kind: 'user' }, clientId: string): AclSubject {
  return { username: who.anonymous ? undefined : who.id, clientId };
}

/** True when every topic `filter` can match is also matched by `grant`. */
export function filterWithin(filter: string, grant: string): boolean {
  const f = filter.split('/');
  const g = grant.split('/');
  for (let i = 0; i < f.length; i++) {
    const gl = g[i];
    const fl = f[i] as string;
    if (gl === undefined) return false;
    if (gl === '#') return true;
    if (fl === '#') return false;
    if (gl === '+') continue;
    if (fl === '+' || fl !== gl) return false;
  }
  return f.length === g.length || (g.length === f.length + 1 && g[f.length] === '#');
}
