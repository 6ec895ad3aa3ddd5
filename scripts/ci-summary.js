#!/usr/bin/env node
// Prints the plain closing line CI reads ("N passed, N failed, N skipped") from vitest's
// JSON report, and exits non-zero when tests failed or an earlier CI step failed.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [file, priorStatus] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
// Named again just above the closing line: CI keeps only the tail of the output, and the
// conformance runs print after the tests.
const failures = [];
const firstLine = (m) =>
  String(m ?? '')
    .split('\n')[0]
    .slice(0, 300);
if (file && existsSync(file)) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that failed to load has no tests counted: count it as a failure.
  for (const suite of report.testResults ?? []) {
    const where = relative(process.cwd(), suite.name);
    const tests = suite.assertionResults ?? [];
    if (suite.status === 'failed' && tests.length === 0) {
      failed += 1;
      failures.push(`${where}: did not load: ${firstLine(suite.message)}`);
    }
    for (const a of tests)
      if (a.status === 'failed')
        failures.push(`${where} > ${a.fullName ?? a.title}: ${firstLine(a.failureMessages?.[0])}`);
  }
} else {
  failed += 1;
  console.error(`ci-summary: no test report at ${file}`);
}
const stepFailed = priorStatus && priorStatus !== '0';
if (stepFailed && failed === 0) {
  console.error('ci-summary: a CI step other than the tests failed (see above)');
  failed += 1;
}
for (const f of failures) console.log(`failed test: ${f}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || stepFailed ? 1 : 0);
