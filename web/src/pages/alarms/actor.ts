/** Who did it, as people say it: the server writes `user:ana`, `apikey:k1`, `rule:press-overheat`. */
export function actorName(actor: string | undefined): string {
  if (!actor) return '';
  const [kind, ...rest] = actor.split(':');
  const id = rest.join(':');
  if (!id) return actor;
  if (kind === 'user') return id;
  if (kind === 'apikey') return `API key ${id}`;
  if (kind === 'rule') return `rule ${id}`;
  return actor;
}
