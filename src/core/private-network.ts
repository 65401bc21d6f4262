import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may not reach when `actions.webhook.denyPrivateNetworks`
 * is on (shared clouds: a tenant's rule must not probe the operator's own
 * network or a cloud metadata service). Loopback, private, link-local,
 * carrier-grade NAT, benchmark, multicast and reserved ranges of IPv4 and
 * IPv6; an IPv4-mapped IPv6 address is judged by its IPv4 part.
 */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv6');
}

/** Whether `address` (an IP literal) is one a webhook may not reach with private networks denied. */
export function isPrivateAddress(address: string): boolean {
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(a);
  if (family === 4) return PRIVATE.check(a, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) return PRIVATE.check(mapped[1] as string, 'ipv4');
  // BlockList does not match mapped addresses written in hex (::ffff:7f00:1).
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(a);
  if (hexMapped) {
    const hi = Number.parseInt(hexMapped[1] as string, 16);
    const lo = Number.parseInt(hexMapped[2] as string, 16);
    return PRIVATE.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4');
  }
  return PRIVATE.check(a, 'ipv6');
}

/**
 * Why a webhook URL's host is refused by its name alone (an IP literal in a
 * private range, `localhost`), or undefined; names are checked again on
 * every call, after DNS, since a name can resolve anywhere.
 */
export function privateHostProblem(host: string): string | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost'))
    return `${host} is this machine, and this server denies private networks (actions.webhook.denyPrivateNetworks)`;
  if (isPrivateAddress(h))
    return `${host} is a private, loopback or reserved address, and this server denies private networks (actions.webhook.denyPrivateNetworks)`;
  return undefined;
}
