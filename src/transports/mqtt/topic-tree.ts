/**
 * The subscription index: a trie with one node per filter level, matched once per PUBLISH.
 * Literal children sit in a Map, '+' and '#' in their own slots, so a match costs a few Map lookups
 * per topic level regardless of how many subscriptions exist. Filters must be valid
 * (`topicFilterProblem`) and non-shared; share groups are passed separately.
 */

export interface SubscriptionOptions {
  qos: 0 | 1 | 2;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  id?: number;
}

export interface Subscription<K> extends SubscriptionOptions {
  readonly subscriber: K;
  readonly filter: string;
  readonly group?: string;
}

class TrieNode<K> {
  children: Map<string, TrieNode<K>> | undefined;
  plus: TrieNode<K> | undefined;
  hash: TrieNode<K> | undefined;
  /** Non-shared subscriptions whose filter ends at this node. */
  subs: Map<K, Subscription<K>> | undefined;
  /** Shared subscriptions ending here: group → subscriber → subscription. */
  shared: Map<string, Map<K, Subscription<K>>> | undefined;

  constructor(
    readonly parent: TrieNode<K> | undefined,
    readonly level: string,
  ) {}

  isEmpty(): boolean {
    return (
      this.subs === undefined &&
      this.shared === undefined &&
      this.plus === undefined &&
      this.hash === undefined &&
      (this.children === undefined || this.children.size === 0)
    );
  }
}

/** Key of one subscription among a subscriber's; U+0000 cannot occur in a valid filter [MQTT-4.7.3-2]. */
const subKey = (filter: string, group: string | undefined): string =>
  group === undefined ? filter : `${group}\u0000${filter}`;

export class TopicTree<K> {
  readonly #root = new TrieNode<K>(undefined, '');
  readonly #bySubscriber = new Map<K, Map<string, Subscription<K>>>();
  #size = 0;
  #nodes = 0;
  readonly #stackNodes: TrieNode<K>[] = [];
  readonly #stackDepths: number[] = [];
  #matching = false;

  get size(): number {
    return this.#size;
  }

  /** Trie nodes below the root; 0 once every subscription is gone (pruning keeps churn from leaking). */
  get nodeCount(): number {
    return this.#nodes;
  }

  /** Adds or replaces the subscription of `subscriber` to `filter` (in share `group`, if any); returns true if it is new (false = replaced) [MQTT-3.8.4-3]. */
  add(subscriber: K, filter: string, options: SubscriptionOptions, group?: string): boolean {
    const sub: Subscription<K> = {
      subscriber,
      filter,
      qos: options.qos,
      noLocal: options.noLocal,
      retainAsPublished: options.retainAsPublished,
      retainHandling: options.retainHandling,
      ...(options.id === undefined ? {} : { id: options.id }),
      ...(group === undefined ? {} : { group }),
    };
    const node = this.#nodeFor(filter, true);
    let members: Map<K, Subscription<K>>;
    if (group === undefined) {
      node.subs ??= new Map();
      members = node.subs;
    } else {
      node.shared ??= new Map();
      members = getOrCreate(node.shared, group, () => new Map<K, Subscription<K>>());
    }
    const isNew = !members.has(subscriber);
    // Replacing keeps one entry per (subscriber, filter, group) with the new options [MQTT-3.8.4-3].
    members.set(subscriber, sub);
    const own = getOrCreate(this.#bySubscriber, subscriber, () => new Map<string, Subscription<K>>());
    own.set(subKey(filter, group), sub);
    if (isNew) this.#size++;
    return isNew;
  }

  remove(subscriber: K, filter: string, group?: string): boolean {
    const own = this.#bySubscriber.get(subscriber);
    if (own === undefined || !own.delete(subKey(filter, group))) return false;
    if (own.size === 0) this.#bySubscriber.delete(subscriber);
    this.#unlink(subscriber, filter, group);
    return true;
  }

  /** Removes every subscription of the subscriber; returns how many. */
  removeAll(subscriber: K): number {
    const own = this.#bySubscriber.get(subscriber);
    if (own === undefined) return 0;
    this.#bySubscriber.delete(subscriber);
    for (const s of own.values()) this.#unlink(subscriber, s.filter, s.group);
    return own.size;
  }

  /** Subscriptions of one subscriber (for persistence and session resume). */
  subscriptionsOf(subscriber: K): Subscription<K>[] {
    const own = this.#bySubscriber.get(subscriber);
    return own === undefined ? [] : [...own.values()];
  }

  /**
   * Calls `visit` for every non-shared subscription matching `topic`, and `visitGroup` once per share
   * group with a match, passing all that group's matching members. A subscriber with overlapping
   * filters is visited once per filter; merging is the caller's job [MQTT-3.3.4-2].
   * Note: members of one group are collected across filters, so `$share/g/a/+` and `$share/g/a/#`
   * yield one call; callers needing per-filter delivery can split on `member.filter`.
   */
  match(
    topic: string,
    visit: (s: Subscription<K>) => void,
    visitGroup?: (group: string, members: readonly Subscription<K>[]) => void,
  ): void {
    const levels = topic.split('/');
    const n = levels.length;
    const root = this.#root;
    const collect = visitGroup !== undefined;
    let groups: Map<string, Subscription<K>[]> | undefined;
    // Explicit stack (node, depth) rather than recursion: topic depth is client-controlled.
    // The stacks are reused across calls (one match per PUBLISH) unless a visitor matches again.
    const reuse = !this.#matching;
    const nodes: TrieNode<K>[] = reuse ? this.#stackNodes : [];
    const depths: number[] = reuse ? this.#stackDepths : [];
    this.#matching = true;
    try {
      // [MQTT-4.7.2-1] '#' and '+' at the first level do not match topics starting with '$'.
      const sys = topic.charCodeAt(0) === 0x24;
      if (!sys && root.hash !== undefined) groups = emit(root.hash, visit, collect, groups);
      const first = root.children?.get(levels[0] as string);
      if (first !== undefined) {
        nodes.push(first);
        depths.push(1);
      }
      if (!sys && root.plus !== undefined) {
        nodes.push(root.plus);
        depths.push(1);
      }
      while (nodes.length > 0) {
        const node = nodes.pop() as TrieNode<K>;
        const i = depths.pop() as number;
        // '#' below this node matches zero or more further levels, hence this level too (`a/#` ~ `a`).
        if (node.hash !== undefined) groups = emit(node.hash, visit, collect, groups);
        if (i === n) {
          groups = emit(node, visit, collect, groups);
          continue;
        }
        const child = node.children?.get(levels[i] as string);
        if (child !== undefined) {
          nodes.push(child);
          depths.push(i + 1);
        }
        if (node.plus !== undefined) {
          nodes.push(node.plus);
          depths.push(i + 1);
        }
      }
    } finally {
      if (reuse) {
        this.#matching = false;
        nodes.length = 0;
        depths.length = 0;
      }
    }
    if (groups !== undefined && visitGroup !== undefined) {
      for (const [group, members] of groups) visitGroup(group, members);
    }
  }

  /** The node of `filter`; with `create` false, undefined when absent. */
  #nodeFor(filter: string, create: true): TrieNode<K>;
  #nodeFor(filter: string, create: false): TrieNode<K> | undefined;
  #nodeFor(filter: string, create: boolean): TrieNode<K> | undefined {
    let node = this.#root;
    for (const level of filter.split('/')) {
      let next = level === '+' ? node.plus : level === '#' ? node.hash : node.children?.get(level);
      if (next === undefined) {
        if (!create) return undefined;
        next = new TrieNode(node, level);
        this.#nodes++;
        if (level === '+') node.plus = next;
        else if (level === '#') node.hash = next;
        else {
          node.children ??= new Map();
          node.children.set(level, next);
        }
      }
      node = next;
    }
    return node;
  }

  /** Drops one subscription from its node and prunes nodes left empty, so churn does not leak. */
  #unlink(subscriber: K, filter: string, group: string | undefined): void {
    const node = this.#nodeFor(filter, false);
    if (node === undefined) return;
    if (group === undefined) {
      if (node.subs?.delete(subscriber) !== true) return;
      if (node.subs.size === 0) node.subs = undefined;
    } else {
      const members = node.shared?.get(group);
      if (members === undefined || !members.delete(subscriber)) return;
      if (members.size === 0) node.shared?.delete(group);
      if (node.shared?.size === 0) node.shared = undefined;
    }
    this.#size--;
    let n: TrieNode<K> = node;
    while (n.parent !== undefined && n.isEmpty()) {
      const parent: TrieNode<K> = n.parent;
      this.#nodes--;
      if (parent.plus === n) parent.plus = undefined;
      else if (parent.hash === n) parent.hash = undefined;
      else {
        parent.children?.delete(n.level);
        if (parent.children?.size === 0) parent.children = undefined;
      }
      n = parent;
    }
  }
}

/** Visits a node's subscriptions; returns the (lazily created) share-group collector. */
function emit<K>(
  node: TrieNode<K>,
  visit: (s: Subscription<K>) => void,
  collect: boolean,
  groups: Map<string, Subscription<K>[]> | undefined,
): Map<string, Subscription<K>[]> | undefined {
  if (node.subs !== undefined) for (const s of node.subs.values()) visit(s);
  if (node.shared === undefined || !collect) return groups;
  const out = groups ?? new Map<string, Subscription<K>[]>();
  for (const [group, members] of node.shared) {
    const list = getOrCreate(out, group, () => []);
    for (const s of members.values()) list.push(s);
  }
  return out;
}

function getOrCreate<M, V>(map: Map<M, V>, key: M, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
