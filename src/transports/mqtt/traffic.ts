/** Messages and bytes through the broker for one tenant, for `$SYS` (sys-topics.ts). */
export interface Traffic {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

export function emptyTraffic(): Traffic {
  return { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };
}

/**
 * Traffic counters per tenant. A connection holds its tenant's counters
 * once authenticated, so counting is a field increment on the hot path.
 */
export class TrafficMeter {
  readonly #byTenant = new Map<string, Traffic>();

  of(tenant: string): Traffic {
    let t = this.#byTenant.get(tenant);
    if (!t) {
      t = emptyTraffic();
      this.#byTenant.set(tenant, t);
    }
    return t;
  }

  /** The whole platform's traffic. */
  total(): Traffic {
    const sum = emptyTraffic();
    for (const t of this.#byTenant.values()) {
      sum.messagesIn += t.messagesIn;
      sum.messagesOut += t.messagesOut;
      sum.bytesIn += t.bytesIn;
      sum.bytesOut += t.bytesOut;
    }
    return sum;
  }

  forget(tenant: string): void {
    this.#byTenant.delete(tenant);
  }
}
