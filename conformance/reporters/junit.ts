// junit.xml for CI: one <testcase> per case (classname <area>.<topic>, name = case id), grouped into a
// <testsuite> per area; skipped cases carry <skipped message>, failures the first problem found.
import type { CaseRecord } from '../types.ts';

export function xmlEscape(s: string): string {
  return s
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function classname(id: string): string {
  const parts = id.split('/');
  return parts.length > 2 ? `${parts[0]}.${parts[1]}` : parts[0];
}

function details(r: CaseRecord): string {
  const lines = [
    ...r.expectFailures,
    ...r.checks.filter((c) => c.ok === false).map((c) => `${c.statement}: ${c.message}`),
  ];
  if (lines.length === 0 && r.reason) lines.push(r.reason);
  return lines.join('\n');
}

function testcase(r: CaseRecord): string {
  const attrs = `classname="${xmlEscape(classname(r.id))}" name="${xmlEscape(r.id)}" time="${(r.durationMs / 1000).toFixed(3)}"`;
  const first = xmlEscape((r.reason ?? details(r)).split('\n')[0] ?? '');
  switch (r.status) {
    case 'pass':
      return `    <testcase ${attrs}/>`;
    case 'skipped':
      return `    <testcase ${attrs}>\n      <skipped message="${first}"/>\n    </testcase>`;
    case 'expected-fail':
      return `    <testcase ${attrs}>\n      <system-out>${xmlEscape(`expected failure (baseline): ${details(r)}`)}</system-out>\n    </testcase>`;
    case 'errored':
      return `    <testcase ${attrs}>\n      <error message="${first}">${xmlEscape(details(r))}</error>\n    </testcase>`;
    case 'unexpected-pass':
      return `    <testcase ${attrs}>\n      <failure message="unexpected pass: the baseline expects this case to fail">${xmlEscape(
        typeof r.expected === 'object' ? r.expected.fail : '',
      )}</failure>\n    </testcase>`;
    default:
      return `    <testcase ${attrs}>\n      <failure message="${first}">${xmlEscape(details(r))}</failure>\n    </testcase>`;
  }
}

export function junitXml(records: CaseRecord[], suiteName: string, timestamp: string): string {
  const byArea = new Map<string, CaseRecord[]>();
  for (const r of records) byArea.set(r.area, [...(byArea.get(r.area) ?? []), r]);
  const count = (rs: CaseRecord[], ...s: string[]) => rs.filter((r) => s.includes(r.status)).length;
  const suites = [...byArea.entries()].map(([area, rs]) => {
    const time = rs.reduce((t, r) => t + r.durationMs, 0) / 1000;
    return `  <testsuite name="${xmlEscape(area)}" tests="${rs.length}" failures="${count(rs, 'fail', 'unexpected-pass')}" errors="${count(rs, 'errored')}" skipped="${count(rs, 'skipped')}" time="${time.toFixed(3)}" timestamp="${xmlEscape(timestamp)}">\n${rs.map(testcase).join('\n')}\n  </testsuite>`;
  });
  const total = records.reduce((t, r) => t + r.durationMs, 0) / 1000;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(suiteName)}" tests="${records.length}" failures="${count(records, 'fail', 'unexpected-pass')}" errors="${count(records, 'errored')}" skipped="${count(records, 'skipped')}" time="${total.toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
