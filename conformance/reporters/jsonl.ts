// report.jsonl, Bowtie's shape: a header line, one line per case (verdict, checks, no observation:
// that stays in report.json), and a footer with the counts, so tools can stream-read a run.
import type { CaseRecord } from '../types.ts';
import { REPORT_FORMAT_VERSION, type ReportHeader } from './json.ts';
import { countStatuses } from './summary.ts';

export function jsonlReport(header: ReportHeader, records: CaseRecord[]): string {
  const lines: object[] = [{ type: 'header', formatVersion: REPORT_FORMAT_VERSION, ...header }];
  records.forEach((r, seq) => {
    lines.push({
      type: 'case',
      seq,
      id: r.id,
      statements: r.statements,
      level: r.level,
      status: r.status,
      expected: r.expected,
      reason: r.reason,
      durationMs: r.durationMs,
      exitCode: r.exitCode,
      expectFailures: r.expectFailures,
      checks: r.checks,
    });
  });
  lines.push({ type: 'footer', counts: countStatuses(records), durationMs: header.durationMs });
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}
