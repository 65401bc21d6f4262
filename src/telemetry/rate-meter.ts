/**
 * Points and messages per second over the last `seconds` whole seconds, per
 * tenant: the dashboard's "ingest rate". Counts go into one-second buckets;
 * a bucket older than the window is reset when its slot comes round again.
 */
export class RateMeter {
  private readonly tenants = new Map<string, { sec: number[]; points: number[]; messages: number[] }>();

  constructor(private readonly seconds = 10) {}

  add(tenant: string, now: number, points: number): void {
    let t = this.tenants.get(tenant);
    if (!t) {
      t = {
        sec: new Array(this.seconds).fill(-1),
        points: new Array(this.seconds).fill(0),
        messages: new Array(this.seconds).fill(0),
      };
      this.tenants.set(tenant, t);
    }
    const sec = Math.floor(now / 1000);
    const slot = sec % this.seconds;
    if (t.sec[slot] !== sec) {
      t.sec[slot] = sec;
      t.points[slot] = 0;
      t.messages[slot] = 0;
    }
    (t.points[slot] as number) += points;
    (t.messages[slot] as number) += 1;
  }

  /** Rates over the last full seconds (the current, partial one excluded). */
  rate(tenant: string, now: number): { pointsPerSecond: number; messagesPerSecond: number } {
    const t = this.tenants.get(tenant);
    if (!t) return { pointsPerSecond: 0, messagesPerSecond: 0 };
    const current = Math.floor(now / 1000);
    let points = 0;
    let messages = 0;
    for (let i = 0; i < this.seconds; i++) {
      const sec = t.sec[i] as number;
      if (sec < current && sec >= current - (this.seconds - 1)) {
        points += t.points[i] as number;
        messages += t.messages[i] as number;
      }
    }
    const span = this.seconds - 1;
    return { pointsPerSecond: points / span, messagesPerSecond: messages / span };
  }

  forget(tenant: string): void {
    this.tenants.delete(tenant);
  }
}
