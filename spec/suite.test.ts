// The shipped suite itself: every fixture passes the linter and no statement is left with
// neither a checker nor a case (what `npm run check:fixtures` and `npm run spec` enforce).
import { describe, expect, it } from 'vitest';
import { lintCases } from './check-fixtures.ts';
import { casesByStatement, uncovered } from './generate.ts';
import { statements } from './index.ts';
import { readCaseFiles } from './lib/fixtures.ts';

describe('the shipped suite', () => {
  const files = readCaseFiles();
  it('has at least 100 cases and every one passes check:fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(100);
    expect(lintCases(files).problems).toEqual([]);
  });
  it('leaves no statement without a checker or a case', () => {
    expect(uncovered(statements, casesByStatement(files)).map((s) => s.id)).toEqual([]);
  });
});
