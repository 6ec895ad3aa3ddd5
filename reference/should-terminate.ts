// Exit 70: between tasks, a managed worker asks whether it should stop. Current generic-worker asks
// worker-manager (shouldWorkerTerminate); 11.0.1 compared deploymentId with the provisioner's. Here the
// check runs when config `deploymentId` is set (a managed worker), at most every
// checkForNewDeploymentEverySecs, or on every pass of the claim loop when worker-runner started the worker
// (v106 main.go checkWhetherToTerminate), against worker-manager at <rootURL>/api/worker-manager/v1 or at
// `provisionerBaseURL` when given, with the worker's current credentials (worker-runner renews them).
// Errors are logged and ignored: only an explicit answer stops the worker.
import type { ResolvedConfig } from './config.ts';
import { hawkHeader, httpRequest, type TcCredentials } from './queue.ts';

export function shouldTerminateUrl(cfg: ResolvedConfig): string {
  const base = (cfg.provisionerBaseURL || `${cfg.rootUrl}/api/worker-manager/v1`).replace(/\/+$/, '');
  const pool = encodeURIComponent(`${cfg.provisionerId}/${cfg.workerType}`);
  return `${base}/workers/${pool}/${encodeURIComponent(cfg.workerGroup)}/${encodeURIComponent(cfg.workerId)}/should-terminate`;
}

/** Ask once; true only when the service answers {terminate: true}. */
export async function askShouldTerminate(cfg: ResolvedConfig, credentials: TcCredentials): Promise<boolean> {
  const url = shouldTerminateUrl(cfg);
  const header = hawkHeader(url, 'GET', credentials);
  const res = await httpRequest(url, {
    method: 'GET',
    headers: { authorization: header, accept: 'application/json' },
    idleTimeoutMs: 300_000,
  });
  if (res.statusCode !== 200) throw new Error(`should-terminate answered HTTP ${res.statusCode}`);
  const body = JSON.parse(res.body) as { terminate?: unknown };
  return body.terminate === true;
}

export class TerminationCheck {
  private readonly cfg: ResolvedConfig;
  private readonly credentials: () => TcCredentials;
  /** Started by worker-runner: ask on every pass of the claim loop, as generic-worker v106 does. */
  private readonly managed: boolean;
  private last = 0;

  constructor(cfg: ResolvedConfig, credentials: () => TcCredentials, managed: boolean) {
    this.cfg = cfg;
    this.credentials = credentials;
    this.managed = managed;
  }

  get enabled(): boolean {
    return this.managed || this.cfg.deploymentId !== '';
  }

  /** Ask now, whatever the interval (worker-runner: at the idle timeout and after numberOfTasksToRun). */
  async now(onError: (e: Error) => void): Promise<boolean> {
    this.last = Date.now();
    try {
      return await askShouldTerminate(this.cfg, this.credentials());
    } catch (e) {
      onError(e as Error);
      return false;
    }
  }

  /** Whether the worker must stop now (checked at most every checkForNewDeploymentEverySecs). */
  async due(onError: (e: Error) => void): Promise<boolean> {
    if (!this.enabled) return false;
    if (!this.managed && this.last !== 0 && Date.now() - this.last < this.cfg.checkForNewDeploymentEverySecs * 1000)
      return false;
    return this.now(onError);
  }
}
