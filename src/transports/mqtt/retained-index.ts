/**
 * Retained messages by topic name [MQTT-3.3.1-5], kept in a trie of topic levels so a SUBSCRIBE
 * only walks the branches its filter can reach: '+' fans out over one level, '#' takes a subtree.
 */

const DOLLAR = 0x24;

class LevelNode<V> {
  children: Map<string, LevelNode<V>> | undefined;
  /** The full topic when a value is retained at this node. */
  topic: string | undefined;
  value: V | undefined;

  constructor(
    readonly parent: LevelNode<V> | undefined,
    readonly level: string,
  ) {}
}

export class RetainedIndex<V> {
  readonly #root = new LevelNode<V>(undefined, '');
  /** Direct access for get/set/delete without walking the trie. */
  readonly #byTopic = new Map<string, LevelNode<V>>();
  #nodes = 0;

  get size(): number {
    return this.#byTopic.size;
  }

  /** Trie nodes below the root; 0 once every value is deleted (pruning keeps churn from leaking). */
  get nodeCount(): number {
    return this.#nodes;
  }

  /** Stores `value` for `topic`, replacing any earlier one [MQTT-3.3.1-5]. */
  set(topic: string, value: V): void {
    let node = this.#byTopic.get(topic);
    if (node === undefined) {
      let at = this.#root;
      for (const level of topic.split('/')) {
        let next = at.children?.get(level);
        if (next === undefined) {
          next = new LevelNode(at, level);
          this.#nodes++;
          at.children ??= new Map();
          at.children.set(level, next);
        }
        at = next;
      }
      node = at;
      node.topic = topic;
      this.#byTopic.set(topic, node);
    }
    node.value = value;
  }

  /** Removes the retained value of `topic` (e.g. on an empty retained PUBLISH [MQTT-3.3.1-6]). */
  delete(topic: string): boolean {
    const node = this.#byTopic.get(topic);
    if (node === undefined) return false;
    this.#byTopic.delete(topic);
    node.topic = undefined;
    node.value = undefined;
    // Prune the now-useless branch so deleted topics do not keep memory.
    let n = node;
    while (n.parent !== undefined && n.topic === undefined && (n.children?.size ?? 0) === 0) {
      n.parent.children?.delete(n.level);
      this.#nodes--;
      if (n.parent.children?.size === 0) n.parent.children = undefined;
      n = n.parent;
    }
    return true;
  }

  get(topic: string): V | undefined {
    return this.#byTopic.get(topic)?.value;
  }

  /** Every retained value whose topic matches `filter` (a valid, non-shared filter), as `topicMatches` decides. */
  match(filter: string, visit: (topic: string, value: V) => void): void {
    const levels = filter.split('/');
    const n = levels.length;
    // Explicit stack (node, depth) rather than recursion: filter depth is client-controlled.
    const nodes: LevelNode<V>[] = [this.#root];
    const depths: number[] = [0];
    while (nodes.length > 0) {
      const node = nodes.pop() as LevelNode<V>;
      const i = depths.pop() as number;
      if (i === n) {
        if (node.topic !== undefined) visit(node.topic, node.value as V);
        continue;
      }
      const level = levels[i] as string;
      if (level === '#') {
        // '#' matches the parent level too: `a/#` includes `a` itself.
        if (node.topic !== undefined) visit(node.topic, node.value as V);
        this.#visitBelow(node, i === 0, visit);
      } else if (level === '+') {
        if (node.children === undefined) continue;
        for (const child of node.children.values()) {
          // [MQTT-4.7.2-1] a leading wildcard does not match topics starting with '$'
          if (i === 0 && child.level.charCodeAt(0) === DOLLAR) continue;
          nodes.push(child);
          depths.push(i + 1);
        }
      } else {
        const child = node.children?.get(level);
        if (child !== undefined) {
          nodes.push(child);
          depths.push(i + 1);
        }
      }
    }
  }

  *entries(): IterableIterator<[string, V]> {
    for (const [topic, node] of this.#byTopic) yield [topic, node.value as V];
  }

  /** Visits every value strictly below `start`; at the root, skips `$` branches [MQTT-4.7.2-1]. */
  #visitBelow(start: LevelNode<V>, atRoot: boolean, visit: (topic: string, value: V) => void): void {
    const stack: LevelNode<V>[] = [];
    for (const child of start.children?.values() ?? []) {
      if (!(atRoot && child.level.charCodeAt(0) === DOLLAR)) stack.push(child);
    }
    while (stack.length > 0) {
      const node = stack.pop() as LevelNode<V>;
      if (node.topic !== undefined) visit(node.topic, node.value as V);
      if (node.children !== undefined) for (const child of node.children.values()) stack.push(child);
    }
  }
}
