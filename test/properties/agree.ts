// Comparing a worker's answer with the oracle's verdict.
import type { Broken, Verdict } from './oracle.ts';

export function firstStage(v: Verdict): Broken['stage'] | 'valid' {
  return v.valid ? 'valid' : v.broken[0]!.stage;
}

/**
 * The reference validator's problems against the oracle (stages schema and payload; feature and upload rules are
 * decided later, by the features and the Queue, and judged end to end). Returns the disagreement, or null.
 */
export function validatorDisagreement(v: Verdict, problems: { rule: string; at: string }[]): string | null {
  const stage = firstStage(v);
  if (stage === 'valid' || stage === 'feature' || stage === 'upload') {
    return problems.length === 0 ? null : `oracle: ${stage}, validator: ${JSON.stringify(problems)}`;
  }
  if (problems.length === 0) return `oracle: invalid ${JSON.stringify(v)}, validator accepted`;
  if (stage === 'schema') {
    const ats = new Set((v as { broken: Broken[] }).broken.map((b) => b.at));
    if (problems.some((p) => p.rule !== 'schema')) return `schema-invalid, validator named ${JSON.stringify(problems)}`;
    return problems.some((p) => ats.has(p.at))
      ? null
      : `schema errors at ${[...ats]} but validator at ${problems.map((p) => p.at)}`;
  }
  const want = new Set((v as { broken: Broken[] }).broken.map((b) => b.rule));
  const got = new Set(problems.map((p) => p.rule));
  const missing = [...want].filter((r) => !got.has(r));
  const extra = [...got].filter((r) => !want.has(r));
  return missing.length || extra.length
    ? `rules: oracle ${JSON.stringify([...want])}, validator ${JSON.stringify([...got])} (missing ${missing}, extra ${extra})`
    : null;
}
