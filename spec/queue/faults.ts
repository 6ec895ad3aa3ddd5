// queue.faults.*: a worker against a Queue that fails the way networks and proxies do (issue 10's
// faults that held: 5xx bursts and resets on every call, S3 PUT 500/reset/hang, latency, malformed
// answers). The task ends as it would have without the fault.
import { BOTH, gw, q, tc } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'queue';
const ISSUE = 'issue 10: faults injected around a running worker (held)';

export const statements: Statement[] = [
  {
    id: 'queue.faults.transient-errors-survived',
    area,
    level: 'MUST',
    text: 'A few 5xx answers or dropped connections on any Queue call (claimWork, reclaimTask, createArtifact, finishArtifact, reportCompleted) are retried; the task ends as it would have without them.',
    source: [
      ISSUE,
      q(61),
      tc('clients/client-go/http.go Client.Request (retries 5xx and connection errors)'),
      gw('main.go ClaimWork'),
    ],
    generations: BOTH,
  },
  {
    id: 'queue.faults.upload-errors-survived',
    area,
    level: 'MUST',
    text: 'A few 5xx answers, resets or a long stall on an artifact upload PUT are retried; the artifact arrives whole.',
    source: [ISSUE, q(61), gw('artifacts.go TaskRun.uploadArtifact')],
    generations: BOTH,
  },
  {
    id: 'queue.faults.garbled-answer-survived',
    area,
    level: 'MUST',
    text: 'A 200 answer whose body is not the expected JSON (truncated, an HTML page, empty) counts as a failed call: the worker neither crashes nor acts on it, and serves the task once the Queue answers properly.',
    source: [ISSUE, tc('clients/client-go/http.go Client.APICall (a body that does not unmarshal is an error)')],
    generations: BOTH,
  },
  {
    id: 'queue.faults.latency-tolerated',
    area,
    level: 'MUST',
    text: 'Two seconds of latency on every Queue and upload call change no outcome.',
    source: [ISSUE],
    generations: BOTH,
  },
];
