// The live console view: a line per case as it finishes (status, progress, counts). On a TTY the
// status is coloured; otherwise plain text, one line per case, so CI logs stay readable.
import type { CaseRecord, Status } from '../types.ts';
import { closingLine, type Counts, countStatuses } from './summary.ts';

const COLOURS: Record<Status, string> = {
  pass: '32',
  fail: '31',
  'expected-fail': '33',
  'unexpected-pass': '35',
  skipped: '90',
  errored: '31;1',
};

export interface ConsoleReporter {
  onCase(rec: CaseRecord, done: number, total: number): void;
  finish(records: CaseRecord[], durationMs: number, reportDir?: string): void;
}

/**
 * The lines under a case: why it was skipped or errored; for a failure every unmet expectation and
 * failed check, then the tail of the worker's output when it never reached the Queue.
 */
export function details(rec: CaseRecord, verbose = false): string[] {
  if (rec.status === 'pass' && !verbose) return [];
  const failed = rec.checks.filter((c) => c.ok === false).map((c) => `${c.statement}: ${c.message}`);
  const problems = [...rec.expectFailures, ...failed];
  const lines = rec.outcome === 'fail' && problems.length > 0 ? problems : rec.reason ? [rec.reason] : [];
  if (verbose)
    for (const c of rec.checks) if (c.ok !== false) lines.push(`${c.statement}: ${c.ok ? 'ok' : 'n/a'}: ${c.message}`);
  if (rec.status === 'expected-fail' && typeof rec.expected === 'object') lines.push(`baseline: ${rec.expected.fail}`);
  if (rec.workerOutputTail?.length) {
    lines.push('worker output (last lines; it made no call to the Queue):');
    lines.push(...rec.workerOutputTail.map((l) => `  | ${l}`));
  }
  return lines;
}

export function consoleReporter(
  out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
  opts: { verbose?: boolean; tty?: boolean } = {},
): ConsoleReporter {
  const tty = opts.tty ?? (Boolean(out.isTTY) && !process.env.NO_COLOR);
  const paint = (s: Status, text: string) => (tty ? `\x1b[${COLOURS[s]}m${text}\x1b[0m` : text);
  const seen: CaseRecord[] = [];
  // On a TTY a status line under the case lines keeps the running counts in view.
  const statusLine = (done: number, total: number) => {
    const c = countStatuses(seen);
    const parts = (Object.entries(c) as [Status, number][])
      .filter(([, n]) => n > 0)
      .map(([s, n]) => paint(s, `${n} ${s}`));
    return `${done}/${total} done · ${parts.join(' · ')}`;
  };
  return {
    onCase(rec, done, total) {
      seen.push(rec);
      if (tty) out.write('\r\x1b[K');
      const width = String(total).length;
      const progress = `[${String(done).padStart(width)}/${total}]`;
      const secs = `${(rec.durationMs / 1000).toFixed(1)}s`;
      let line = `${progress} ${paint(rec.status, rec.status.padEnd(15))} ${rec.id} (${secs})`;
      const pad = ' '.repeat(progress.length + 1);
      for (const detail of details(rec, opts.verbose)) line += `\n${pad}${detail}`;
      out.write(line + '\n');
      if (tty && done < total) out.write(statusLine(done, total));
    },
    finish(records, durationMs, reportDir) {
      const c: Counts = countStatuses(records);
      const parts = (Object.entries(c) as [Status, number][])
        .filter(([, n]) => n > 0)
        .map(([s, n]) => paint(s, `${n} ${s}`));
      out.write(`\n${records.length} cases in ${(durationMs / 1000).toFixed(1)}s: ${parts.join(', ') || 'none'}\n`);
      if (reportDir) out.write(`reports: ${reportDir}/index.html, report.json, report.jsonl, junit.xml\n`);
      // Plain, uncoloured and alone on its line: CI reads it. The label says how it folds the counts above.
      out.write('CI line (passed = pass + expected-fail; failed = fail + unexpected-pass + errored):\n');
      out.write(`${closingLine(c)}\n`);
    },
  };
}
