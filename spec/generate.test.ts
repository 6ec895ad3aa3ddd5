// The spec generator: the document and the coverage matrix say what the statements and cases say.
import { describe, expect, it } from 'vitest';
import { casesByStatement, renderCoverage, renderSpec, uncovered } from './generate.ts';
import { statements, validateStatements } from './index.ts';
import { EXPECT_ONLY_RULE, rules } from './rules.ts';
import type { Statement } from './types.ts';

const S: Statement[] = [
  {
    id: 'queue.claim.exclusive',
    area: 'queue',
    level: 'MUST',
    text: 'One | worker.',
    source: ['src-a'],
    generations: ['v11', 'current'],
    check: () => null,
    rule: 'Reads the claims. Fails when one run is handed out twice.',
  },
  {
    id: 'payload.env.run-id',
    area: 'payload',
    level: 'SHOULD',
    text: 'RUN_ID.',
    source: ['src-b'],
    generations: ['current'],
    divergence: 'v11 has none',
  },
  {
    id: 'payload.env.orphan',
    area: 'payload',
    level: 'MAY',
    text: 'Nothing.',
    source: ['src-c'],
    generations: ['v11'],
  },
];
const files = [
  {
    file: 'f1',
    rel: 'payload/env/run-id',
    data: { id: 'payload/env/run-id', statements: ['payload.env.run-id', 'queue.claim.exclusive'] },
  },
  { file: 'f2', rel: 'queue/claim/x', data: { id: 'queue/claim/x', statements: ['queue.claim.exclusive'] } },
];

describe('npm run spec', () => {
  const by = casesByStatement(files);
  it('maps statements to the cases listing them', () => {
    expect(by.get('queue.claim.exclusive')).toEqual(['payload/env/run-id', 'queue/claim/x']);
  });
  it('finds statements with neither checker nor case', () => {
    expect(uncovered(S, by).map((s) => s.id)).toEqual(['payload.env.orphan']);
  });
  it('renders every statement with level, text, source and divergence, grouped by area', () => {
    const md = renderSpec(S, by);
    expect(md).toMatch(/## queue[\s\S]*### `queue\.claim\.exclusive`[\s\S]*## payload/);
    expect(md).toContain('**SHOULD** — RUN_ID.');
    expect(md).toContain('- divergence: v11 has none');
    expect(md).toContain('`src-c`');
  });
  it('renders a matrix row per statement with checker and cases, escaping pipes', () => {
    const md = renderCoverage(S, by);
    expect(md).toContain('| `queue.claim.exclusive` | MUST | yes | `payload/env/run-id`, `queue/claim/x` |');
    expect(md).toContain('| `payload.env.orphan` | MAY | no | — |');
    expect(md).toContain('1 with neither');
  });
});

describe('spec/index.ts', () => {
  it('holds at least 150 valid statements, all with sources', () => {
    expect(statements.length).toBeGreaterThanOrEqual(150);
    expect(validateStatements([...statements])).toEqual([]);
  });
  it('rejects duplicate, malformed and foreign-area ids', () => {
    const bad = validateStatements([S[0], S[0], { ...S[1], id: 'Payload.Env' }, { ...S[2], area: 'nowhere' }]);
    expect(bad.join('\n')).toMatch(/duplicate id/);
    expect(bad.join('\n')).toMatch(/not <area>\.<topic>\.<behaviour>/);
    expect(bad.join('\n')).toMatch(/unknown area "nowhere"/);
  });

  it('every statement says how it is judged: a checker rule in words, or that its cases expect blocks judge it', () => {
    const missing = statements.filter((s) => s.check && (!s.rule || s.rule === EXPECT_ONLY_RULE)).map((s) => s.id);
    expect(missing, 'statements with a checker but no rule (add one to spec/rules.ts or as `rule`)').toEqual([]);
    for (const s of statements) expect(s.rule, s.id).toMatch(/\bfails (when|unless|on)\b|No checker/i);
    const ids = new Set(statements.map((s) => s.id));
    expect(
      Object.keys(rules).filter((id) => !ids.has(id)),
      'rules for no statement',
    ).toEqual([]);
  });

  it('SPEC.md shows each rule', () => {
    const md = renderSpec(S, new Map());
    expect(md).toContain('- rule: Reads the claims. Fails when one run is handed out twice.');
  });
});
