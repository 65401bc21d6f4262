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
    }
  | {
      readonly kind: 'apikey';
      readonly tenant: string;
      readonly id: string;
      readonly role: 'admin' | 'operator' | 'viewer';
    };

/** `press-7@acme` → `{id: 'press-7', tenant: 'acme'}`; no `@` means tenant `default` (ARCHITECTURE §5). */
export function splitUsername(username: string): { id: string; tenant: string } {
  const at = username.lastIndexOf('@');
  if (at < 0) return { id: username, tenant: 'default' };
  return { id: username.slice(0, at), tenant: username.slice(at + 1) };
}
