// Scope satisfaction as the auth service does it: a held scope ending in `*` satisfies every scope
// with that prefix; expressions are strings or {AllOf: [...]}/{AnyOf: [...]} (libraries/scopes).

export type ScopeExpression = string | { AllOf: ScopeExpression[] } | { AnyOf: ScopeExpression[] };

export function scopeMatch(held: string, wanted: string): boolean {
  if (held === wanted) return true;
  return held.endsWith('*') && wanted.startsWith(held.slice(0, -1));
}

export function hasScope(scopes: readonly string[], wanted: string): boolean {
  return scopes.some((s) => scopeMatch(s, wanted));
}

export function satisfies(scopes: readonly string[], expr: ScopeExpression): boolean {
  if (typeof expr === 'string') return hasScope(scopes, expr);
  if ('AllOf' in expr) return expr.AllOf.every((e) => satisfies(scopes, e));
  return expr.AnyOf.some((e) => satisfies(scopes, e));
}

/** What is still missing, simplified like libraries/scopes `removeGivenScopes`; null when satisfied. */
export function missing(scopes: readonly string[], expr: ScopeExpression): ScopeExpression | null {
  if (typeof expr === 'string') return hasScope(scopes, expr) ? null : expr;
  if ('AllOf' in expr) {
    const rest = expr.AllOf.map((e) => missing(scopes, e)).filter((e): e is ScopeExpression => e !== null);
    if (rest.length === 0) return null;
    return rest.length === 1 ? rest[0] : { AllOf: rest };
  }
  if (expr.AnyOf.some((e) => satisfies(scopes, e))) return null;
  return expr;
}

export function formatExpression(expr: ScopeExpression): string {
  return typeof expr === 'string' ? expr : JSON.stringify(expr, null, 2);
}

/** Scopes listed one per line when the missing part is a plain AllOf of strings, as the real message does. */
export function formatMissing(expr: ScopeExpression): string {
  if (typeof expr === 'string') return expr;
  if ('AllOf' in expr && expr.AllOf.every((e) => typeof e === 'string')) return expr.AllOf.join('\n');
  return formatExpression(expr);
}
