// The file reporters by name (vitest's ReportersMap): a new format is one file plus one entry here.
// All render from the finished records, never from runner internals.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KIT_DIR } from '../profiles.ts';
import type { CaseRecord } from '../types.ts';
import { htmlReport } from './html.ts';
import { jsonReport, type ReportHeader } from './json.ts';
import { jsonlReport } from './jsonl.ts';
import { junitXml } from './junit.ts';
import type { StatementSummary } from './summary.ts';

export interface ReportInput {
  header: ReportHeader;
  records: CaseRecord[];
  statements: StatementSummary[];
}

export const FILE_REPORTERS = {
  'report.json': (r: ReportInput) => JSON.stringify(jsonReport(r.header, r.records, r.statements), null, 2) + '\n',
  'report.jsonl': (r: ReportInput) => jsonlReport(r.header, r.records),
  'junit.xml': (r: ReportInput) =>
    junitXml(r.records, `tc-kit conformance: ${r.header.profile.name}`, r.header.startedAt),
  'index.html': (r: ReportInput) => htmlReport(r.header, r.records, r.statements),
} as const;

export type FileReporterName = keyof typeof FILE_REPORTERS;

export function writeReports(dir: string, input: ReportInput): string[] {
  mkdirSync(dir, { recursive: true });
  return (Object.keys(FILE_REPORTERS) as FileReporterName[]).map((name) => {
    const file = join(dir, name);
    writeFileSync(file, FILE_REPORTERS[name](input));
    return file;
  });
}

export function kitInfo(): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(join(KIT_DIR, 'package.json'), 'utf8'));
  return { name: pkg.name, version: pkg.version };
}
