// Checkers for worker-runner.*: what the worker wrote on the protocol (obs.workerRunner) and which
// client signed its calls (the mock trace).
import { calls, fail, isOk, isResolve, pass, RUN_ROUTES, verdict } from '../lib/observe.ts';
import type { Checker, Observation, ObservedWorkerRunner, ProtocolMessage } from '../types.ts';

/** Calls signed in flight when a message was sent may still carry the old state; allow this long. */
const GRACE_MS = 1500;

const wr = (obs: Observation): ObservedWorkerRunner | undefined => obs.workerRunner;
const worker = (r: ObservedWorkerRunner): ProtocolMessage[] => r.messages.map((m) => m.message);
const helloOf = (r: ObservedWorkerRunner) => worker(r).find((m) => m.type === 'hello');
const helloCaps = (r: ObservedWorkerRunner): string[] => {
  const caps = helloOf(r)?.capabilities;
  return Array.isArray(caps) ? caps.filter((x): x is string => typeof x === 'string') : [];
};
const negotiated = (r: ObservedWorkerRunner): Set<string> => new Set(helloCaps(r).filter((c) => r.offered.includes(c)));
const sentAt = (r: ObservedWorkerRunner, type: string): number | undefined => {
  const s = r.sent.find((x) => x.message?.type === type);
  return s ? Date.parse(s.at) : undefined;
};

export const silentUntilWelcome: Checker = (obs) => {
  const r = wr(obs);
  if (!r) return null;
  if (r.welcomeAt === undefined) return fail('the worker exited before the runner sent welcome');
  const before = r.outputBeforeWelcome;
  return before.trim() === ''
    ? pass('nothing was written before welcome')
    : fail(`wrote before welcome: ${JSON.stringify(before.slice(0, 200))}`);
};

export const hello: Checker = (obs) => {
  const r = wr(obs);
  if (!r || r.welcomeAt === undefined) return null;
  const msgs = worker(r);
  if (msgs.length === 0) return fail('no protocol message at all (expected hello)');
  const problems: string[] = [];
  if (msgs[0]!.type !== 'hello') problems.push(`first message is ${msgs[0]!.type}, not hello`);
  const hellos = msgs.filter((m) => m.type === 'hello');
  if (hellos.length !== 1) problems.push(`${hellos.length} hello messages`);
  const caps = hellos[0]?.capabilities;
  if (!Array.isArray(caps) || caps.some((x) => typeof x !== 'string'))
    problems.push(`hello capabilities ${JSON.stringify(caps)} is not a list of names`);
  return verdict(problems, `hello with capabilities ${JSON.stringify(caps)}`);
};

export const helloSubset: Checker = (obs) => {
  const r = wr(obs);
  if (!r || !helloOf(r)) return null;
  const extra = helloCaps(r).filter((c) => !r.offered.includes(c));
  return extra.length === 0
    ? pass(`hello lists only offered capabilities (${helloCaps(r).join(', ') || 'none'})`)
    : fail(
        `hello lists capabilities welcome did not offer: ${extra.join(', ')} (offered: ${r.offered.join(', ') || 'none'})`,
      );
};

export const negotiatedOnly: Checker = (obs) => {
  const r = wr(obs);
  if (!r || !helloOf(r)) return null;
  const both = negotiated(r);
  const bad = worker(r).filter((m) => m.type !== 'hello' && !both.has(m.type));
  const types = [...new Set(bad.map((m) => m.type))];
  return types.length === 0
    ? pass(`every message was of a negotiated capability (${[...both].join(', ') || 'none'})`)
    : fail(`sent ${types.join(', ')} though negotiated were only: ${[...both].join(', ') || 'none'}`);
};

export const logAsMessages: Checker = (obs) => {
  const r = wr(obs);
  if (!r || !negotiated(r).has('log')) return null;
  const logs = worker(r).filter((m) => m.type === 'log');
  if (logs.length === 0) return fail('log was negotiated but the worker sent no log message');
  const bad = logs.filter((m) => {
    const body = m.body as Record<string, unknown> | undefined;
    return !body || typeof body !== 'object' || Array.isArray(body) || typeof body.textPayload !== 'string';
  });
  return bad.length === 0
    ? pass(`${logs.length} log message(s), each with body.textPayload`)
    : fail(
        `${bad.length} of ${logs.length} log message(s) lack an object body with textPayload, e.g. ${JSON.stringify(bad[0]).slice(0, 200)}`,
      );
};

export const logToStderr: Checker = (obs) => {
  const r = wr(obs);
  if (!r || !helloOf(r) || negotiated(r).has('log')) return null;
  const logs = worker(r).filter((m) => m.type === 'log');
  if (logs.length > 0) return fail(`${logs.length} log message(s) though log was not negotiated`);
  return obs.stderr.trim() !== ''
    ? pass('no log messages; the log went to stderr')
    : fail('no log messages, but nothing on stderr either: the log went nowhere');
};

export const renewedForWorkerCalls: Checker = (obs) => {
  const r = wr(obs);
  const at = r && sentAt(r, 'new-credentials');
  if (!r || at === undefined) return null;
  const own = obs.trace.filter((e) => e.route === 'claimWork' || e.route === 'shouldWorkerTerminate');
  const after = own.filter((e) => Date.parse(e.time) > at + GRACE_MS);
  if (after.length === 0) return fail('no claimWork or shouldWorkerTerminate call after new-credentials to judge');
  const old = after.filter((e) => e.clientId !== r.renewedClientId);
  return old.length === 0
    ? pass(`${after.length} call(s) after new-credentials signed by ${r.renewedClientId}`)
    : fail(
        `${old.length} call(s) after new-credentials signed by ${old[0]!.clientId} (#${old[0]!.seq} ${old[0]!.route}), not ${r.renewedClientId}`,
      );
};

export const taskCallsUnchanged: Checker = (obs) => {
  const r = wr(obs);
  if (!r) return null;
  const taskCalls = obs.trace.filter((e) => (RUN_ROUTES as readonly string[]).includes(e.route));
  if (taskCalls.length === 0) return null;
  const wrong = taskCalls.filter((e) => e.clientId === r.runnerClientId || e.clientId === r.renewedClientId);
  return wrong.length === 0
    ? pass(`${taskCalls.length} task call(s), none signed by the runner's clients`)
    : fail(`${wrong.length} task call(s) signed by ${wrong[0]!.clientId} (#${wrong[0]!.seq} ${wrong[0]!.route})`);
};

export const noClaimAfterTermination: Checker = (obs) => {
  const r = wr(obs);
  const at = r && sentAt(r, 'graceful-termination');
  if (!r || at === undefined) return null;
  const late = calls(obs, 'claimWork').filter((e) => Date.parse(e.time) > at + GRACE_MS);
  return late.length === 0
    ? pass('no claimWork after graceful-termination')
    : fail(`${late.length} claimWork call(s) after graceful-termination (first #${late[0]!.seq})`);
};

const terminateAnswers = (obs: Observation, value: boolean) =>
  calls(obs, 'shouldWorkerTerminate').filter((e) => isOk(e) && (e.response.body as any)?.terminate === value);

export const shutdownOnTerminate: Checker = (obs) => {
  const r = wr(obs);
  if (!r) return null;
  const yes = terminateAnswers(obs, true);
  if (yes.length === 0) return null;
  if (!negotiated(r).has('shutdown')) return null;
  const shutdown = r.messages.find((m) => m.message.type === 'shutdown');
  return shutdown
    ? pass(`shutdown sent after worker-manager said terminate (#${yes[0]!.seq})`)
    : fail('worker-manager said terminate, but the worker sent no shutdown message');
};

export const idleKeepsServing: Checker = (obs) => {
  const r = wr(obs);
  const idle = Number(obs.config.idleTimeoutSecs ?? 0);
  if (!r || idle <= 0) return null;
  const no = terminateAnswers(obs, false);
  if (no.length === 0) return fail('worker-manager was never asked (or never answered terminate false)');
  if (obs.exitCode === 68 && terminateAnswers(obs, true).length === 0)
    return fail('the worker exited 68 (idle timeout) while worker-manager still answered terminate false');
  const start = Math.min(...obs.trace.map((e) => Date.parse(e.time)));
  const lastNo = Math.max(...no.map((e) => Date.parse(e.time)));
  const servedFor = (lastNo - start) / 1000;
  const claimsAfter = calls(obs, 'claimWork').filter((e) => Date.parse(e.time) - start > idle * 1000);
  if (servedFor < idle)
    return fail(`worker-manager was last asked ${servedFor.toFixed(1)} s in, before the ${idle} s idle timeout`);
  return claimsAfter.length > 0
    ? pass(
        `kept claiming past the ${idle} s idle timeout (${claimsAfter.length} claimWork call(s)) while worker-manager said not to terminate`,
      )
    : fail(`no claimWork after the ${idle} s idle timeout`);
};

export const askedAfterLastTask: Checker = (obs) => {
  const r = wr(obs);
  if (!r) return null;
  const resolves = obs.trace.filter(isResolve);
  if (resolves.length === 0) return null;
  const last = Math.max(...resolves.map((e) => e.seq));
  const asked = calls(obs, 'shouldWorkerTerminate').filter((e) => e.seq > last);
  return asked.length > 0
    ? pass(`asked worker-manager after the last resolution (#${asked[0]!.seq})`)
    : fail('did not ask worker-manager after the last task was resolved');
};

export const errorReport: Checker = (obs) => {
  const r = wr(obs);
  if (!r || !negotiated(r).has('error-report')) return null;
  const reports = worker(r).filter((m) => m.type === 'error-report');
  if (reports.length === 0) return fail('no error-report before the worker exited');
  const bad = reports.filter((m) => typeof m.description !== 'string' || m.description === '');
  return bad.length === 0
    ? pass(`error-report: ${String(reports[0]!.description).slice(0, 120)}`)
    : fail('error-report without a description');
};
