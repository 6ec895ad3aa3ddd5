// The ordered feature list. Features start in this order and stop in reverse, so a feature that must see
// another's work at stop time (e.g. chain of trust hashing uploaded artifacts) sits *before* it here.
// Each entry's `after` names features that must precede it; a test checks the order against them.
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import { abortFeature } from './abort.ts';
import { artifactsFeature } from './artifacts.ts';
import { backingLogFeature } from './backing-log.ts';
import { chainOfTrustFeature } from './chain-of-trust.ts';
import { commandExecutorFeature } from './command-executor.ts';
import type { Feature } from './feature.ts';
import { createLiveLogFeature } from './live-log.ts';
import { maxRunTimeFeature } from './max-run-time.ts';
import { createMetadataFeature } from './metadata.ts';
import { mountsFeature } from './mounts.ts';
import { osGroupsFeature } from './os-groups.ts';
import { payloadValidatorFeature } from './payload-validator.ts';
import { createResourceMonitorFeature } from './resource-monitor.ts';
import { runTaskAsCurrentUserFeature } from './run-task-as-current-user.ts';
import { supersedeFeature } from './supersede.ts';
import { taskclusterProxyFeature } from './taskcluster-proxy.ts';
import { interactiveFeature, loopbackAudioFeature, loopbackVideoFeature } from './unimplemented.ts';
import { createSandboxFeature } from '../sandbox/feature.ts';

export type WorkerFeature = Feature<ResolvedConfig, TaskContext, TaskContext>;

/** A fresh list per worker (some features hold worker-lifetime state, e.g. the live log server). */
export function createFeatures(): WorkerFeature[] {
  return [
    // First: the task log exists from the header on; stopping last uploads it just before resolution,
    // whatever stopped the task (even a shutdown that arrived before any other feature started).
    backingLogFeature,
    // Second: subscribes to worker shutdown so SIGTERM can abort whatever runs after it.
    abortFeature,
    // Nothing below may read the payload before it is validated.
    payloadValidatorFeature,
    // Creates the per-task OS user (runTasksAsCurrentUser: false) before anything touches the task directory.
    createSandboxFeature(),
    // Publishes public/logs/live.log early so the log can be watched during set-up; links it at the end.
    createLiveLogFeature(),
    // Proxy up before mounts and commands; TASKCLUSTER_PROXY_URL goes into the command environment.
    taskclusterProxyFeature,
    // Checks groups before anything is downloaded or run.
    osGroupsFeature,
    // Downloads and mounts files, archives and caches before the commands; persists or purges caches at stop.
    mountsFeature,
    // Watches every command's memory (generic-worker: right after mounts); aborts on sustained pressure.
    createResourceMonitorFeature(),
    // Refused with a reason: generic-worker features tc-worker does not implement.
    interactiveFeature,
    loopbackAudioFeature,
    loopbackVideoFeature,
    // Writes generic-worker-metadata.json (last task URL) when the task ends, whatever ended it.
    createMetadataFeature(),
    // After the task user and its mounts exist: from here on the commands run as the worker's user.
    runTaskAsCurrentUserFeature,
    // Asks supersederUrl (v11); a superseded task resolves exception/superseded before any command runs.
    supersedeFeature,
    // Before artifacts so its stop runs after their upload: certifies and signs what was uploaded.
    chainOfTrustFeature,
    // Checks artifact expiries at start; uploads in stop, i.e. after the commands ended.
    artifactsFeature,
    // Timer starts after set-up, immediately before the commands (generic-worker 11.0.0+).
    maxRunTimeFeature,
    // Last: runs the commands; stops first (logs Task Finished / Task Duration).
    commandExecutorFeature,
  ];
}
