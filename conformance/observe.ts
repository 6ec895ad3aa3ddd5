// Builds a case's Observation after its worker has exited: this case's slice of the mock's trace,
// and each task's definition, status, artifacts (downloaded and decoded) and backing log.
import type { HarnessQueue } from './queue-client.ts';
import type { ObservedArtifact, ObservedTask, TraceEntry } from './types.ts';

/** Artifact bodies larger than this are hashed but not kept in memory or in the report. */
export const KEEP_BYTES = 4 * 1024 * 1024;
export const BACKING_LOG = 'public/logs/live_backing.log';

/** Entries are immutable once recorded and a case reads the trace many times while its worker runs. */
const decodedPaths = new WeakMap<TraceEntry, string>();

/**
 * The entries that belong to one case: calls naming one of its tasks, calls on its task queue
 * (claimWork), and fixture files / superseder answers under its slug.
 */
export function caseTrace(all: TraceEntry[], taskIds: string[], slug: string): TraceEntry[] {
  const ids = new Set(taskIds);
  return all.filter((e) => {
    if (e.taskId && ids.has(e.taskId)) return true;
    let path = decodedPaths.get(e);
    if (path === undefined) {
      path = safeDecode(e.path);
      decodedPaths.set(e, path);
    }
    if (path.includes(slug)) return true;
    for (const id of ids) if (path.includes(id)) return true;
    return false;
  });
}

function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** The Queue's view of one task after the run, with every artifact of every run. */
export async function observeTask(q: HarnessQueue, taskId: string): Promise<ObservedTask> {
  const [definition, statusRes] = await Promise.all([q.task(taskId), q.status(taskId)]);
  const status = statusRes.status ?? statusRes;
  const runs: any[] = status.runs ?? [];
  const artifacts: ObservedArtifact[] = [];
  for (const run of runs) {
    const runId: number = run.runId;
    let listed: any[] = [];
    try {
      listed = await q.listArtifacts(taskId, runId);
    } catch {
      continue; // a run that never got as far as artifacts (e.g. still pending)
    }
    for (const a of listed) artifacts.push(await observeArtifact(q, taskId, runId, a));
  }
  const lastRun = runs.length > 0 ? runs[runs.length - 1].runId : undefined;
  // The payload may name the backing log (`logs.backing`); a worker that refused the payload may still
  // have used that name, or fallen back to the default one.
  const named = (definition as any)?.payload?.logs?.backing;
  const lastArtifacts = artifacts.filter((a) => a.runId === lastRun);
  const logArtifact =
    (typeof named === 'string' ? lastArtifacts.find((a) => a.name === named) : undefined) ??
    lastArtifacts.find((a) => a.name === BACKING_LOG);
  return { definition, status, artifacts, log: logArtifact?.body?.toString('utf8') };
}

async function observeArtifact(q: HarnessQueue, taskId: string, runId: number, a: any): Promise<ObservedArtifact> {
  const out: ObservedArtifact = { runId, name: a.name, storageType: a.storageType, contentType: a.contentType };
  try {
    const got = await q.download(taskId, runId, a.name, KEEP_BYTES);
    if (got.location) {
      out.url = got.location;
    } else if (a.storageType === 'error' || got.status >= 400) {
      // getArtifact answers an error artifact with 424 and {reason, message}.
      out.reason = got.json?.reason ?? got.json?.details?.reason;
      out.message = got.json?.message;
    } else {
      out.contentEncoding = got.contentEncoding;
      out.sha256 = got.sha256;
      out.size = got.size;
      out.body = got.body;
      if (!out.contentType) out.contentType = got.contentType;
    }
  } catch (err) {
    out.message = `download failed: ${(err as Error).message}`;
  }
  return out;
}
