// Checkers for worker.exit-code.*: the exit code the worker process ends with, given what the case set up.
import { claims, verdict } from '../lib/observe.ts';
import type { CaseExpectation, Checker, Observation } from '../types.ts';

const signals = (c: CaseExpectation): string[] => ((c.setup?.signals ?? []) as any[]).map((s) => s.signal);
const cfg = (c: CaseExpectation): Record<string, any> => c.setup?.config ?? {};
const exitIs = (obs: Observation, want: number, why: string) =>
  obs.exitCode === want
    ? { ok: true, message: `exit ${want}: ${why}` }
    : { ok: false, message: `exit ${obs.exitCode ?? `signal ${obs.signal}`}, expected ${want}: ${why}` };

export const tasksComplete: Checker = (obs) => {
  const n = Number(obs.config.numberOfTasksToRun ?? 0);
  if (!(n > 0) || obs.exitCode !== 0) return null;
  const runs = claims(obs).length;
  return verdict(
    runs === n ? [] : [`exited 0 after ${runs} claimed run(s), numberOfTasksToRun is ${n}`],
    `exited 0 after exactly ${n} task(s)`,
  );
};

export const cantLoadConfig: Checker = (obs, c) => {
  const s = c.setup ?? {};
  const v11 = obs.profile.generation === 'v11';
  if (s.configRaw !== undefined) return exitIs(obs, v11 ? 65 : 64, 'the config file is not valid JSON');
  if (s.noConfigFile) return exitIs(obs, v11 ? 73 : 64, 'the config file does not exist');
  return null;
};

export const idleTimeout: Checker = (obs, c) => {
  const idle = Number(cfg(c).idleTimeoutSecs ?? obs.config.idleTimeoutSecs ?? 0);
  if (!(idle > 0) || signals(c).length > 0 || claims(obs).length > 0) return null;
  return exitIs(obs, 68, `idle for idleTimeoutSecs ${idle} without a task`);
};

export const sigint: Checker = (obs, c) => (signals(c).includes('SIGINT') ? exitIs(obs, 71, 'SIGINT was sent') : null);
export const sigterm: Checker = (obs, c) =>
  signals(c).includes('SIGTERM') ? exitIs(obs, 72, 'SIGTERM was sent') : null;

export const invalidConfig: Checker = (obs, c) => {
  // setup.config maps a key to null to remove it from the profile's template.
  const removed = Object.entries(cfg(c))
    .filter(([, v]) => v === null)
    .map(([k]) => k);
  if (removed.length === 0) return null;
  return exitIs(obs, 73, `required config ${removed.join(', ')} missing`);
};

/** Exit 70 is only right when a deployment told the worker to stop; the kit's runs never do. */
export const deploymentShutdown: Checker = (obs) => {
  if (obs.exitCode !== 70) return null;
  const told = typeof obs.config.deploymentId === 'string' && obs.config.deploymentId !== '';
  // Current generic-worker: worker-manager's shouldWorkerTerminate said so (e.g. under worker-runner).
  const managerSaid = obs.trace.some(
    (e) => e.route === 'shouldWorkerTerminate' && e.status === 200 && (e.response.body as any)?.terminate === true,
  );
  if (managerSaid) return { ok: true, message: 'exit 70 after worker-manager answered terminate: true' };
  return told
    ? { ok: true, message: 'exit 70 with a deploymentId configured' }
    : { ok: false, message: 'exit 70 (deployment shutdown) although no deployment asked the worker to stop' };
};
