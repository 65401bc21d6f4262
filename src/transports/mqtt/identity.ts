import type { SysScope, TopicAcl } from '../../core/topic-acl.js';

/** Who is on the other end of an MQTT connection, after authentication. */
export type Identity =
  | {
      readonly kind: 'device';
      readonly tenant: string;
      readonly id: string;
      /** Credential that authenticated it: revoking it ends the session. */
      readonly credential: string;
      /** Extra m2m/... filters from the device's profile. */
      readonly grants: { readonly publish: readonly string[]; readonly subscribe: readonly string[] };
      readonly limits: {
        readonly messagesPerSecond: number;
        readonly bytesPerSecond: number;
        readonly burstSeconds: number;
      };
      /** The profile's payload codec for telemetry and events when no MQTT 5 content type says otherwise. */
      readonly codec: 'json' | 'cbor' | 'senml+json' | 'senml+cbor';
    }
  | {
      readonly kind: 'apikey';
      readonly tenant: string;
      readonly id: string;
      readonly role: 'admin' | 'operator' | 'viewer';
    }
  | {
      /** An MQTT user (docs/mqtt-users.md) or, with `anonymous`, a client of the anonymous listener. */
      readonly kind: 'user';
      readonly tenant: string;
      /** The user name; '' for anonymous clients. */
      readonly id: string;
      readonly anonymous: boolean;
      readonly acl: TopicAcl;
      /** `platform`: its `$SYS/#` subscriptions see the whole platform's figures, not its tenant's. */
      readonly sys: SysScope;
    };

export { splitUsername } from '../../core/ids.js';
