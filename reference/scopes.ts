// Taskcluster scope satisfaction: a held scope ending in `*` covers every scope with that prefix.

export function scopeSatisfied(held: readonly string[], needed: string): boolean {
  return held.some((s) => s === needed || (s.endsWith('*') && needed.startsWith(s.slice(0, -1))));
}

/** `required` is AnyOf of AllOf (generic-worker's scope expressions); an empty list needs nothing. */
export function scopesSatisfied(held: readonly string[], required: readonly string[][] | undefined): boolean {
  if (!required || required.length === 0) return true;
  return required.some((allOf) => allOf.every((s) => scopeSatisfied(held, s)));
}
