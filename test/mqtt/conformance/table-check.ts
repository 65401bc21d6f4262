/**
 * The rules that keep docs/mqtt-conformance.md honest, as pure functions
 * over the document's text, the spec's statement ids and the test sources
 * (table.test.ts feeds them the real files and shows they catch mistakes).
 */

export type Version = '3.1.1' | '5.0';
export const VERSIONS: readonly Version[] = ['3.1.1', '5.0'];

export interface Row {
  readonly id: string;
  readonly proof: string;
  readonly line: number;
}

/** The table rows of the section `## MQTT <version>` (undefined if there is no such section). */
export function sectionRows(doc: string, version: Version): Row[] | undefined {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## MQTT ${version}`);
  if (start < 0) return undefined;
  const rows: Row[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) continue;
    // Cells split on | not escaped as \|.
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    const id = cells[0] ?? '';
    if (!/^MQTT-/.test(id)) continue; // header and separator rows
    rows.push({ id, proof: cells[cells.length - 1] ?? '', line: i + 1 });
  }
  return rows;
}

/** Tags `[<version> MQTT-x.y.z-n]` in the names of test()/it() calls of one source file. */
export function testTags(source: string): { version: string; id: string; name: string }[] {
  const out: { version: string; id: string; name: string }[] = [];
  const call = /\b(?:test|it)(?:\.only)?\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
  for (const m of source.matchAll(call)) {
    const name = m[2] as string;
    for (const t of name.matchAll(/\[(3\.1\.1|5\.0) (MQTT-[0-9.]+-[0-9]+)\]/g)) {
      out.push({ version: t[1] as string, id: t[2] as string, name });
    }
  }
  return out;
}

/** Every tag of the given sources, per version: id → names of the tests that carry it. */
export function tagIndex(sources: readonly string[]): Map<string, Map<string, string[]>> {
  const index = new Map<string, Map<string, string[]>>();
  for (const src of sources) {
    for (const t of testTags(src)) {
      const byId = index.get(t.version) ?? new Map<string, string[]>();
      index.set(t.version, byId);
      const names = byId.get(t.id) ?? [];
      names.push(t.name);
      byId.set(t.id, names);
    }
  }
  return index;
}

/**
 * Everything wrong with one version's section, as readable lines (empty
 * when honest): ids that differ from the spec list, bad proof cells, `test`
 * rows without a tagged test and tags without a `test` row.
 */
export function checkSection(
  doc: string,
  version: Version,
  specIds: readonly string[] | undefined,
  tags: Map<string, Map<string, string[]>>,
): string[] {
  const problems: string[] = [];
  const rows = sectionRows(doc, version);
  if (specIds === undefined) problems.push(`spec-ids-${version}.json is missing`);
  if (rows === undefined) {
    problems.push(`section "## MQTT ${version}" is missing from docs/mqtt-conformance.md`);
    return problems;
  }
  const tagged = tags.get(version) ?? new Map<string, string[]>();
  const seen = new Set<string>();
  for (const r of rows) {
    if (seen.has(r.id)) problems.push(`line ${r.line}: ${r.id} is listed twice`);
    seen.add(r.id);
    if (r.proof === 'test') {
      if (!tagged.has(r.id))
        problems.push(`line ${r.line}: ${r.id} says "test" but no test name carries [${version} ${r.id}]`);
    } else if (!/^n\/a: \S/.test(r.proof)) {
      problems.push(`line ${r.line}: ${r.id} proof "${r.proof}" is neither "test" nor "n/a: <reason>"`);
    }
  }
  if (specIds !== undefined) {
    const spec = new Set(specIds);
    for (const id of specIds) if (!seen.has(id)) problems.push(`${id} (spec) has no row`);
    for (const r of rows)
      if (!spec.has(r.id)) problems.push(`line ${r.line}: ${r.id} is not a ${version} statement`);
    // Order: the rows that are spec ids must follow the spec's order.
    const order = new Map(specIds.map((id, i) => [id, i]));
    let last = -1;
    let lastId = '';
    for (const r of rows) {
      const i = order.get(r.id);
      if (i === undefined) continue;
      if (i < last) problems.push(`line ${r.line}: ${r.id} is out of spec order (after ${lastId})`);
      else {
        last = i;
        lastId = r.id;
      }
    }
  }
  const testRows = new Set(rows.filter((r) => r.proof === 'test').map((r) => r.id));
  for (const [id, names] of tagged) {
    if (!testRows.has(id))
      problems.push(`test "${names[0]}" carries [${version} ${id}] but the table has no "test" row for it`);
  }
  return problems;
}
