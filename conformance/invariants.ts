// Runner invariants (issue 10): statements every security and faults case is judged by, whether or not
// the case lists them — each claimed run resolved exactly once, nothing the task started still running,
// nothing written outside the task's directory, no secret in any log, artifact or task environment.
// Their checkers are spec/security/invariants.check.ts; the host facts come from conformance/fault-env.ts.
import type { FixtureCase } from './types.ts';

export const INVARIANTS = [
  'security.invariant.resolved-once',
  'security.invariant.no-leftover-process',
  'security.invariant.nothing-outside-task-dir',
  'security.invariant.no-secret-leak',
] as const;

/** Areas whose every case is held to the invariants. */
const ALWAYS = /^(?:security|faults)\//;

/** The statements a case is judged by: its own, then the invariants that apply to it. */
export function statementsFor(f: FixtureCase): string[] {
  return ALWAYS.test(f.id) ? [...new Set([...f.statements, ...INVARIANTS])] : f.statements;
}
