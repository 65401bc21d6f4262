/**
 * The WHERE clause of a list over one tenant's rows, built up with
 * numbered parameters ($1 is the tenant). Only values go in parameters;
 * column names and operators are the caller's fixed text.
 */
export class Where {
  readonly args: unknown[];
  readonly #terms = ['tenant = $1'];

  constructor(tenant: string) {
    this.args = [tenant];
  }

  /** The placeholder of one more parameter. */
  param(value: unknown): string {
    this.args.push(value);
    return `$${this.args.length}`;
  }

  /** `column op value`, left out when the value is absent (a filter not asked for). */
  add(column: string, value: unknown, op = '='): void {
    if (value !== undefined) this.#terms.push(`${column} ${op} ${this.param(value)}`);
  }

  /** A term without parameters. */
  raw(term: string): void {
    this.#terms.push(term);
  }

  toString(): string {
    return this.#terms.join(' AND ');
  }
}
