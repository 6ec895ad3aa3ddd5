// report.json: the machine-readable report, per case and per statement. The other file
// reporters render the same records, so this is the one to consume from other tools.
import type { CaseRecord } from '../types.ts';
import { countStatuses, type StatementSummary } from './summary.ts';

export interface ReportHeader {
  kit: { name: string; version: string };
  profile: { name: string; generation: string; source?: string };
  platform: string;
  startedAt: string;
  durationMs: number;
  rootUrl?: string;
}

export const REPORT_FORMAT_VERSION = 1;

/** The full report document; traces and logs of each case are included so nothing needs a re-run. */
export function jsonReport(header: ReportHeader, records: CaseRecord[], statements: StatementSummary[]): object {
  return {
    formatVersion: REPORT_FORMAT_VERSION,
    ...header,
    counts: countStatuses(records),
    cases: records.map((r) => ({
      id: r.id,
      description: r.description,
      file: r.file,
      area: r.area,
      level: r.level,
      statements: r.statements,
      status: r.status,
      outcome: r.outcome,
      expected: r.expected,
      reason: r.reason,
      durationMs: r.durationMs,
      exitCode: r.exitCode,
      signal: r.signal,
      expectFailures: r.expectFailures,
      checks: r.checks,
      observation: r.observation ? observationJson(r.observation) : undefined,
    })),
    statements,
  };
}

/** An Observation as JSON: artifact bodies become text (or base64 when binary) and are size-capped. */
function observationJson(o: NonNullable<CaseRecord['observation']>): object {
  return {
    exitCode: o.exitCode,
    signal: o.signal,
    durationMs: o.durationMs,
    timedOut: o.timedOut ?? false,
    stdout: o.stdout,
    stderr: o.stderr,
    config: redact(o.config),
    aliases: o.aliases,
    tasks: Object.fromEntries(
      Object.entries(o.tasks).map(([id, t]) => [
        id,
        {
          status: t.status,
          log: t.log,
          artifacts: t.artifacts.map(({ body, ...a }) => ({ ...a, content: bodyText(body) })),
        },
      ]),
    ),
    trace: o.trace,
    ...(o.liveLog ? { liveLog: o.liveLog } : {}),
    // What the runner found on the host (the invariants' facts); the sentinel's content is a secret.
    ...(o.host ? { host: { ...o.host, sentinel: '<redacted>' } } : {}),
  };
}

const MAX_INLINE = 64 * 1024;
export function bodyText(body: Buffer | undefined): string | undefined {
  if (!body) return undefined;
  const slice = body.subarray(0, MAX_INLINE);
  const text = slice.toString('utf8');
  const binary = text.includes('\uFFFD') || /[\x00-\x08\x0e-\x1f]/.test(text);
  const shown = binary ? `base64:${slice.toString('base64')}` : text;
  return body.length > MAX_INLINE ? `${shown}\n[… ${body.length - MAX_INLINE} more bytes]` : shown;
}

/** Secrets in the worker config never reach a report. */
export function redact(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    out[k] = /token|secret|password|certificate/i.test(k) && typeof v === 'string' ? '***' : v;
  }
  return out;
}
