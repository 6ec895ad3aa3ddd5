// index.html: a self-contained report (no external resources) in the manner of Autobahn's: a summary
// by status, area and statement, then per case its statements (text and upstream source), the
// checks, the worker's output, each task's log and artifacts, and that case's Queue wire trace.
import type { CaseRecord, Status, TraceEntry } from '../types.ts';
import type { ReportHeader } from './json.ts';
import { bodyText, redact } from './json.ts';
import { closingLine, countStatuses, STATUSES, type StatementSummary } from './summary.ts';

const esc = (s: unknown): string =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/** Element id of a case's detail section. */
export function caseAnchor(id: string): string {
  return `case-${id.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
}

/** Element id of a statement's row in the summary. */
export function statementAnchor(id: string): string {
  return `statement-${id.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
}

const MAX_TEXT = 64 * 1024;
function clip(text: string | undefined): string {
  if (!text) return '';
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n[… ${text.length - MAX_TEXT} more characters]` : text;
}

function json(v: unknown, max = 4000): string {
  if (v === undefined) return '';
  const s = JSON.stringify(v, null, 2) ?? '';
  return s.length > max ? `${s.slice(0, max)}\n[… ${s.length - max} more characters]` : s;
}

const badge = (s: Status | string) => `<span class="badge s-${esc(s)}">${esc(s)}</span>`;

function traceTable(trace: TraceEntry[]): string {
  if (trace.length === 0) return '<p class="muted">No Queue calls were recorded for this case.</p>';
  const rows = trace.map(
    (e) => `<tr class="${e.status >= 400 ? 'bad' : ''}">
  <td>${e.seq}</td><td>${esc(e.time.slice(11, 23))}</td><td>${esc(e.service)}</td><td><b>${esc(e.route)}</b></td>
  <td>${esc(e.method)} <code>${esc(e.path)}</code></td><td>${e.status}${e.fault ? ` <span class="badge s-fail">fault: ${esc(e.fault)}</span>` : ''}</td>
  <td>${esc(e.clientId ?? 'anonymous')}</td><td>${e.durationMs}ms</td>
  <td><details><summary>bodies</summary><div class="cols"><div><h5>request</h5><pre>${esc(json({ query: e.request.query, body: e.request.body }))}</pre></div><div><h5>response</h5><pre>${esc(json(e.response.body))}</pre></div></div></details></td>
</tr>`,
  );
  return `<table class="trace"><thead><tr><th>#</th><th>time</th><th>service</th><th>route</th><th>request</th><th>status</th><th>client</th><th>took</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function caseDetail(r: CaseRecord, statements: Map<string, StatementSummary>): string {
  const o = r.observation;
  const stmts = r.statements
    .map((id) => {
      const st = statements.get(id);
      const check = r.checks.find((c) => c.statement === id);
      const verdict = check ? (check.ok === true ? 'pass' : check.ok === false ? 'fail' : 'n/a') : '';
      return `<li><a href="#${statementAnchor(id)}"><code>${esc(id)}</code></a> ${st?.level ? `<b>${esc(st.level)}</b>` : ''} ${esc(st?.text ?? '(unknown statement)')}
  ${st?.source?.length ? `<div class="source">source: ${st.source.map(esc).join('; ')}</div>` : ''}
  ${check ? `<div class="check">${badge(verdict)} ${esc(check.message)}</div>` : ''}</li>`;
    })
    .join('');
  const expectList = r.expectFailures.length
    ? `<h4>Expectations not met</h4><ul class="problems">${r.expectFailures.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`
    : '';
  const tasks = o
    ? Object.entries(o.tasks)
        .map(([taskId, t]) => {
          const alias = Object.entries(o.aliases ?? {}).find(([, id]) => id === taskId)?.[0] ?? '';
          const runs = (t.status?.runs ?? [])
            .map(
              (run: any) =>
                `<tr><td>${run.runId}</td><td>${esc(run.state)}</td><td>${esc(run.reasonCreated)}</td><td>${esc(run.reasonResolved)}</td><td>${esc(run.workerId)}</td></tr>`,
            )
            .join('');
          const arts = t.artifacts
            .map(
              (a) =>
                `<tr><td>${a.runId}</td><td><code>${esc(a.name)}</code></td><td>${esc(a.storageType)}</td><td>${esc(a.contentType)}</td><td>${esc(a.contentEncoding)}</td><td><code>${esc(a.sha256?.slice(0, 16))}</code></td><td>${esc(a.reason ?? a.url ?? '')}</td></tr>`,
            )
            .join('');
          const bodies = t.artifacts
            .filter((a) => a.body && a.name !== 'public/logs/live_backing.log')
            .map(
              (a) =>
                `<details><summary>run ${a.runId}: ${esc(a.name)}</summary><pre>${esc(clip(bodyText(a.body)))}</pre></details>`,
            )
            .join('');
          return `<div class="task"><h4>Task ${esc(alias)} <code>${esc(taskId)}</code></h4>
<table><thead><tr><th>run</th><th>state</th><th>reasonCreated</th><th>reasonResolved</th><th>workerId</th></tr></thead><tbody>${runs || '<tr><td colspan="5">no runs</td></tr>'}</tbody></table>
<table><thead><tr><th>run</th><th>artifact</th><th>storage</th><th>content type</th><th>encoding</th><th>sha256</th><th>reason / url</th></tr></thead><tbody>${arts || '<tr><td colspan="7">no artifacts</td></tr>'}</tbody></table>
${bodies}
<h5>Task log (public/logs/live_backing.log)</h5><pre class="log task-log">${esc(clip(t.log)) || '<span class="muted">(none)</span>'}</pre></div>`;
        })
        .join('')
    : '';
  const worker = o
    ? `<h4>Worker</h4><p>exit code <b class="exit">${esc(o.exitCode ?? 'none')}</b>${o.signal ? `, signal ${esc(o.signal)}` : ''}${o.timedOut ? ', <b>killed: did not exit in time</b>' : ''}, ran ${(o.durationMs / 1000).toFixed(1)}s</p>
<details><summary>worker config</summary><pre>${esc(json(redact(o.config), 20000))}</pre></details>
<details ${r.status === 'pass' ? '' : 'open'}><summary>worker output (stdout / stderr)</summary><h5>stdout</h5><pre class="log stdout">${esc(clip(o.stdout)) || '<span class="muted">(empty)</span>'}</pre><h5>stderr</h5><pre class="log stderr">${esc(clip(o.stderr)) || '<span class="muted">(empty)</span>'}</pre></details>`
    : '';
  return `<details class="case" id="${caseAnchor(r.id)}" data-status="${r.status}">
<summary>${badge(r.status)} <code>${esc(r.id)}</code> <span class="muted">${esc(r.description)}</span></summary>
<div class="body">
<p>${r.reason ? esc(r.reason) : ''}${typeof r.expected === 'object' ? `<br>baseline: expected to fail — ${esc(r.expected.fail)}` : ''}</p>
<p class="muted">fixture ${esc(r.file)} · ${(r.durationMs / 1000).toFixed(1)}s</p>
<h4>Statements</h4><ul class="stmts">${stmts}</ul>
${expectList}${worker}${tasks}
<h4>Queue wire trace (${o?.trace.length ?? 0} calls)</h4>${o ? traceTable(o.trace) : '<p class="muted">not run</p>'}
</div></details>`;
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9d1dc}
main{padding:16px 24px;max-width:1400px}section{margin-bottom:28px}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0}th,td{border:1px solid #dde2e8;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef1f5}code{font:12px ui-monospace,monospace}pre{background:#fff;border:1px solid #dde2e8;padding:6px;overflow:auto;max-height:420px;font:12px ui-monospace,monospace;white-space:pre-wrap}
.cards{display:flex;gap:10px;flex-wrap:wrap}.card{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:8px 14px;min-width:110px}.card b{display:block;font-size:22px}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;color:#fff;background:#6b7685}
.s-pass{background:#1f8a4c}.s-fail,.s-errored{background:#c62828}.s-expected-fail{background:#b7791f}.s-unexpected-pass{background:#8e44ad}.s-skipped,.s-untested,.s-n\\/a{background:#8a94a3}
.case{background:#fff;border:1px solid #dde2e8;border-radius:6px;margin:4px 0}.case>summary{padding:6px 10px;cursor:pointer}.case .body{padding:0 12px 12px}
.muted{color:#6b7685}.source{color:#6b7685;font-size:12px}.problems li{color:#a31515}tr.bad td{background:#fff3f3}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:8px}.filters button{margin-right:4px}
`;

const JS = `
document.querySelectorAll('.filters button').forEach(function(b){b.addEventListener('click',function(){
  var s=b.getAttribute('data-status');document.querySelectorAll('details.case').forEach(function(c){
    c.style.display=(s==='all'||c.getAttribute('data-status')===s)?'':'none';});});});
function openHash(){var id=location.hash.slice(1);var el=id&&document.getElementById(id);if(el&&el.tagName==='DETAILS'){el.open=true;el.scrollIntoView();}}
window.addEventListener('hashchange',openHash);openHash();
`;

export function htmlReport(header: ReportHeader, records: CaseRecord[], statements: StatementSummary[]): string {
  const counts = countStatuses(records);
  const byId = new Map(statements.map((s) => [s.id, s]));
  const cards = STATUSES.map(
    (s) =>
      `<div class="card" data-status="${s}"><span class="badge s-${s}">${s}</span><b id="count-${s}">${counts[s]}</b></div>`,
  ).join('');
  const areas = new Map<string, CaseRecord[]>();
  for (const r of records) areas.set(r.area, [...(areas.get(r.area) ?? []), r]);
  const areaRows = [...areas.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([area, rs]) =>
        `<tr><td>${esc(area)}</td><td>${rs.length}</td>${STATUSES.map((s) => `<td>${rs.filter((r) => r.status === s).length || ''}</td>`).join('')}</tr>`,
    )
    .join('');
  const stRows = statements
    .map(
      (s) =>
        `<tr id="${statementAnchor(s.id)}"><td><code>${esc(s.id)}</code></td><td>${esc(s.level)}</td><td>${esc(s.text)}</td><td>${badge(s.verdict)}</td><td>${s.cases
          .map((c) => `<a href="#${caseAnchor(c)}">${esc(c)}</a>`)
          .join('<br>')}</td></tr>`,
    )
    .join('');
  const caseRows = records
    .map(
      (r) =>
        `<tr><td><a href="#${caseAnchor(r.id)}">${esc(r.id)}</a></td><td>${badge(r.status)}</td><td>${(r.durationMs / 1000).toFixed(1)}s</td><td>${esc(r.reason ?? '')}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Conformance report: ${esc(header.profile.name)}</title><style>${CSS}</style></head>
<body><header><h1>Taskcluster worker conformance: ${esc(header.profile.name)}</h1>
<p>generation ${esc(header.profile.generation)} · platform ${esc(header.platform)} · ${esc(header.kit.name)} ${esc(header.kit.version)} · started ${esc(header.startedAt)} · ${(header.durationMs / 1000).toFixed(1)}s</p></header>
<main>
<section id="summary"><h2>Summary</h2><div class="cards">${cards}</div><p id="closing">${esc(closingLine(counts))} (${records.length} cases, ${statements.length} statements)</p></section>
<section id="areas"><h2>By area</h2><table><thead><tr><th>area</th><th>cases</th>${STATUSES.map((s) => `<th>${s}</th>`).join('')}</tr></thead><tbody>${areaRows}</tbody></table></section>
<section id="statements"><h2>By statement</h2><table><thead><tr><th>statement</th><th>level</th><th>text</th><th>verdict</th><th>cases</th></tr></thead><tbody>${stRows}</tbody></table></section>
<section id="cases"><h2>Cases</h2><table><thead><tr><th>case</th><th>status</th><th>took</th><th>reason</th></tr></thead><tbody>${caseRows}</tbody></table></section>
<section id="details"><h2>Case details</h2><p class="filters">show: <button data-status="all">all</button>${STATUSES.map((s) => `<button data-status="${s}">${s}</button>`).join('')}</p>
${records.map((r) => caseDetail(r, byId)).join('\n')}</section>
</main><script>${JS}</script></body></html>
`;
}
