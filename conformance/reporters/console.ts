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
      const showReason = rec.status !== 'pass' && (rec.status !== 'skipped' || opts.verbose);
      if (showReason && rec.reason) line += `\n${' '.repeat(progress.length + 1)}${rec.reason}`;
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
      // Plain, uncoloured and alone on its line: CI reads it.
      out.write(`${closingLine(c)}\n`);
    },
  };
}
