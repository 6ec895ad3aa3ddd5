// The fixtures linter on a scratch fixtures tree: a good case passes, each broken rule is named.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lintCases } from './check-fixtures.ts';
import { readCaseFiles } from './lib/fixtures.ts';
import { vocabulary } from './index.ts';
import type { Statement } from './types.ts';

const STATEMENTS: Statement[] = [
  {
    id: 'payload.command.exit-on-fail',
    area: 'payload',
    level: 'MUST',
    text: 't',
    source: ['s'],
    generations: ['v11', 'current'],
  },
  {
    id: 'queue.claim.exclusive',
    area: 'queue',
    level: 'MUST',
    subject: 'queue',
    text: 't',
    source: ['s'],
    generations: ['v11', 'current'],
  },
  { id: 'worker.cli.version', area: 'worker', level: 'SHOULD', text: 't', source: ['s'], generations: ['current'] },
];

const good = (id = 'payload/command/exit-on-fail') => ({
  id,
  description: 'a failing command stops the task',
  statements: ['payload.command.exit-on-fail'],
  level: 'MUST',
  generations: ['v11', 'current'],
  platforms: ['linux'],
  requires: [],
  kind: 'task',
  task: { payload: { command: [['/bin/bash', '-c', 'exit 3']], maxRunTime: 30 } },
  expect: { exitCode: 0, runs: [{ state: 'failed', reasonResolved: 'failed' }] },
});

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
function tree(files: Record<string, unknown>): string {
  dir = mkdtempSync(join(tmpdir(), 'kit-fixtures-'));
  for (const [rel, data] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, typeof data === 'string' ? data : JSON.stringify(data));
  }
  return dir;
}
// The scratch trees use one requires-tag; every tag of a vocabulary must gate a case.
const VOCAB = { ...vocabulary, requires: { 'cli-args': 'x' } };
const lint = (files: Record<string, unknown>) => lintCases(readCaseFiles(tree(files)), STATEMENTS, VOCAB).problems;
const withTag = (c: ReturnType<typeof good>) => ({ ...c, requires: ['cli-args'] });

describe('check:fixtures', () => {
  it('accepts a well-formed case and ignores _shared files', () => {
    expect(
      lint({ 'payload/command/exit-on-fail.json': withTag(good()), '_shared/snippet.json': '{ not json' }),
    ).toEqual([]);
  });
  it('names an id that is not the path', () => {
    expect(lint({ 'payload/command/other.json': withTag(good()) })).toEqual([
      expect.stringContaining('is not its path'),
    ]);
  });
  it('names schema violations with the JSON pointer', () => {
    const c = { ...good(), kind: 'banana' };
    expect(lint({ 'payload/command/exit-on-fail.json': c })[0]).toMatch(/schema: \/kind/);
  });
  it('rejects invalid JSON, long or "should" descriptions and duplicate descriptions', () => {
    const problems = lint({
      'payload/command/exit-on-fail.json': { ...good(), description: 'the worker should stop the task' },
      'payload/command/exit-on-fail--b.json': {
        ...good('payload/command/exit-on-fail--b'),
        description: 'x'.repeat(80),
      },
      'payload/command/broken.json': '{',
    });
    expect(problems.join('\n')).toMatch(/not valid JSON/);
    expect(problems.join('\n')).toMatch(/says "should"/);
    expect(problems.join('\n')).toMatch(/description.*must NOT have more than 69/);
  });
  it('rejects unknown statements, statement/case generation mismatches and unknown tags', () => {
    const problems = lint({
      'payload/command/exit-on-fail.json': {
        ...good(),
        statements: ['payload.command.exit-on-fail', 'payload.nope.nothing'],
        requires: ['teleport'],
      },
      'worker/cli/version.json': {
        ...good('worker/cli/version'),
        description: 'version prints',
        statements: ['worker.cli.version'],
        generations: ['v11'],
      },
    }).join('\n');
    expect(problems).toMatch(/unknown statement payload\.nope\.nothing/);
    expect(problems).toMatch(/unknown requires-tag "teleport"/);
    expect(problems).toMatch(/worker\.cli\.version applies to current, the case only to v11/);
  });
  it('names a requires-tag that gates no case', () => {
    expect(lint({ 'payload/command/exit-on-fail.json': good() })).toEqual([
      expect.stringContaining('requires-tag cli-args gates no case'),
    ]);
  });
  it('requires a case expecting malformed-payload to say what the refusal is about, per generation', () => {
    const refusedCase = {
      ...withTag(good()),
      expect: { exitCode: 0, runs: [{ state: 'exception', reasonResolved: 'malformed-payload' }] },
      expectByGeneration: { v11: { runs: [{ state: 'completed', reasonResolved: 'completed' }] } },
    };
    expect(lint({ 'payload/command/exit-on-fail.json': refusedCase })).toEqual([
      expect.stringContaining('expects malformed-payload (current) but no expect.refusal'),
    ]);
    const stated = { ...refusedCase, expect: { ...refusedCase.expect, refusal: { about: ['command'] } } };
    expect(lint({ 'payload/command/exit-on-fail.json': stated })).toEqual([
      expect.stringContaining('gives expect.refusal for v11, where it does not expect malformed-payload'),
    ]);
    const placed = {
      ...refusedCase,
      expectByGeneration: { ...refusedCase.expectByGeneration, current: { refusal: { about: ['command'] } } },
    };
    expect(lint({ 'payload/command/exit-on-fail.json': placed })).toEqual([]);
  });
  it('reports a worker MUST statement without a case but not a Queue-side one', () => {
    const r = lintCases(readCaseFiles(tree({})), STATEMENTS);
    expect(r.uncoveredMust).toEqual(['payload.command.exit-on-fail']);
  });
});
