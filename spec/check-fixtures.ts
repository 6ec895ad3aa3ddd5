// The fixtures linter (`npm run check:fixtures`): every case file is valid JSON matching
// schemas/fixture.schema.json, its id is its path, ids and descriptions are unique, descriptions
// follow the house style, statement ids and requires-tags exist, every requires-tag gates a case, a case
// expecting malformed-payload says what the refusal is about, and every worker MUST statement
// that a fixture can exercise has a case. Prints one line per problem; exits 1 when there are any.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { statements as allStatements, type Statement, type Vocabulary, vocabulary } from './index.ts';
import { type CaseFile, FIXTURES_DIR, readCaseFiles, SCHEMA_FILE } from './lib/fixtures.ts';

export interface LintResult {
  cases: number;
  problems: string[];
  /** MUST statements with no case: an error unless they bind the Queue or are marked untestable. */
  uncoveredMust: string[];
}

function schemaValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  (addFormatsModule as unknown as (a: unknown) => void)(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
}

const BAD_WORDS = /\b(should|test that|tests that|checks that|verify|verifies)\b/i;

const refused = (runs: any[] | undefined): boolean =>
  (runs ?? []).some((r) => r?.reasonResolved === 'malformed-payload');

/**
 * A case expecting a refusal says what it is about (expect.refusal), for every generation it runs
 * in and for each of its tasks: otherwise a worker refusing the task for any other reason passes it.
 */
function refusalsMissing(c: any): string[] {
  const out: string[] = [];
  for (const gen of c.generations as string[]) {
    const e = { ...(c.expect ?? {}), ...(c.expectByGeneration?.[gen] ?? {}) };
    if (refused(e.runs) && !e.refusal)
      out.push(`expects malformed-payload (${gen}) but no expect.refusal says what the refusal is about`);
    if (e.refusal && !refused(e.runs))
      out.push(
        `gives expect.refusal for ${gen}, where it does not expect malformed-payload (move it to expectByGeneration)`,
      );
  }
  for (const t of c.tasks ?? []) {
    if (refused(t.expect?.runs) && !t.expect?.refusal)
      out.push(`task ${t.alias} expects malformed-payload but no refusal says what it is about`);
    if (t.expect?.refusal && !refused(t.expect?.runs))
      out.push(`task ${t.alias} gives a refusal but does not expect malformed-payload`);
  }
  return [...new Set(out)];
}

export function lintCases(
  files: CaseFile[],
  statements: readonly Statement[] = allStatements,
  vocab: Vocabulary = vocabulary,
): LintResult {
  const validate = schemaValidator();
  const byId = new Map(statements.map((s) => [s.id, s]));
  const problems: string[] = [];
  const ids = new Map<string, string>();
  const descriptions = new Map<string, string>();
  const exercised = new Set<string>();
  const gating = new Set<string>();
  for (const f of files) {
    const where = `fixtures/${f.rel}.json`;
    if (f.parseError !== undefined) {
      problems.push(`${where}: not valid JSON: ${f.parseError}`);
      continue;
    }
    const valid = validate(f.data);
    const c: any = f.data;
    if (!valid) {
      for (const e of (validate.errors ?? []).slice(0, 5))
        problems.push(`${where}: schema: ${e.instancePath || '/'} ${e.message}`);
      continue;
    }
    if (c.id !== f.rel) problems.push(`${where}: id ${JSON.stringify(c.id)} is not its path ${JSON.stringify(f.rel)}`);
    if (ids.has(c.id)) problems.push(`${where}: id ${c.id} also used by ${ids.get(c.id)}`);
    ids.set(c.id, where);
    const d: string = c.description;
    if (BAD_WORDS.test(d))
      problems.push(`${where}: description says ${JSON.stringify(BAD_WORDS.exec(d)![0])}; say "X does Y"`);
    if (/[.!]$/.test(d)) problems.push(`${where}: description ends with punctuation`);
    if (d !== d.trim()) problems.push(`${where}: description has surrounding spaces`);
    if (descriptions.has(d)) problems.push(`${where}: description also used by ${descriptions.get(d)}`);
    descriptions.set(d, where);
    for (const tag of c.requires ?? []) {
      gating.add(tag);
      if (!(tag in vocab.requires)) problems.push(`${where}: unknown requires-tag ${JSON.stringify(tag)}`);
    }
    problems.push(...refusalsMissing(c).map((p) => `${where}: ${p}`));
    for (const id of c.statements as string[]) {
      const s = byId.get(id);
      if (!s) {
        problems.push(`${where}: unknown statement ${id}`);
        continue;
      }
      exercised.add(id);
      if (!s.generations.some((g) => (c.generations as string[]).includes(g)))
        problems.push(
          `${where}: statement ${id} applies to ${s.generations.join(', ')}, the case only to ${c.generations.join(', ')}`,
        );
    }
  }
  const uncoveredMust = statements
    .filter((s) => s.level === 'MUST' && s.subject !== 'queue' && !s.untestable && !exercised.has(s.id))
    .map((s) => s.id);
  // A tag no case requires gates nothing: a profile listing it as unsupported would skip nothing.
  for (const tag of Object.keys(vocab.requires))
    if (!gating.has(tag))
      problems.push(
        `spec/vocabulary.json: requires-tag ${tag} gates no case (remove it or tag the cases that need it)`,
      );
  for (const id of uncoveredMust)
    problems.push(`spec: MUST statement ${id} has no fixture case (add one, or mark it untestable with a reason)`);
  return { cases: files.length, problems, uncoveredMust };
}

if (import.meta.main) {
  const dir = process.argv[2] ?? FIXTURES_DIR;
  const result = lintCases(readCaseFiles(dir));
  for (const p of result.problems) console.error(p);
  console.log(`check:fixtures: ${result.cases} case(s), ${result.problems.length} problem(s)`);
  process.exit(result.problems.length === 0 ? 0 : 1);
}
