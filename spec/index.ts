// The executable spec: every statement, validated once at import against the house rules
// (unique kebab-case ids under a known area, known generations and levels, a source, a text).
import { readFileSync } from 'node:fs';
import { statements as artifactsFaults } from './artifacts/faults.ts';
import { statements as artifactsPorted } from './artifacts/from-upstream-tests.ts';
import { statements as artifactsEncoding } from './artifacts/encoding-recorded.ts';
import { statements as artifactsPayload } from './artifacts/payload-artifacts.ts';
import { statements as capacity } from './capacity/capacity.ts';
import { statements as cotCertificate } from './chain-of-trust/certificate.ts';
import { statements as featuresD2g } from './features/d2g.ts';
import { statements as featuresInteractive } from './features/interactive.ts';
import { statements as featuresLoopback } from './features/loopback.ts';
import { statements as featuresMetadata } from './features/metadata.ts';
import { statements as featuresProxy } from './features/proxy.ts';
import { statements as featuresResourceMonitor } from './features/resource-monitor.ts';
import { statements as featuresRunTaskAsCurrentUser } from './features/run-task-as-current-user.ts';
import { statements as featuresSupersede } from './features/supersede.ts';
import { statements as logsArtifacts } from './logs/artifacts.ts';
import { statements as logsErrors } from './logs/errors.ts';
import { statements as logsFormat } from './logs/format.ts';
import { statements as mountsPorted } from './mounts/from-upstream-tests.ts';
import { statements as mounts } from './mounts/mounts.ts';
import { statements as payloadCommand } from './payload/command.ts';
import { statements as payloadEnv } from './payload/env.ts';
import { statements as payloadFeatures } from './payload/features.ts';
import { statements as payloadPorted } from './payload/from-upstream-tests.ts';
import { statements as payloadMaxRunTime } from './payload/max-run-time.ts';
import { statements as payloadOnExitStatus } from './payload/on-exit-status.ts';
import { statements as payloadSchema } from './payload/schema.ts';
import { statements as payloadValidation } from './payload/validation.ts';
import { statements as queueApi } from './queue/api.ts';
import { statements as queueArtifact } from './queue/artifact.ts';
import { statements as queueClaim } from './queue/claim.ts';
import { statements as queueCredentials } from './queue/credentials.ts';
import { statements as queueFaults } from './queue/faults.ts';
import { statements as queueReclaim } from './queue/reclaim.ts';
import { statements as queueResolve } from './queue/resolve.ts';
import { EXPECT_ONLY_RULE, rules } from './rules.ts';
import { statements as sandboxCleanup } from './sandbox/cleanup.ts';
import { statements as sandboxPorted } from './sandbox/from-upstream-tests.ts';
import { statements as securityInputs } from './security/inputs.ts';
import { statements as securityInvariants } from './security/invariants.ts';
import { statements as securitySandbox } from './security/sandbox.ts';
import { statements as taskFaults } from './task/faults.ts';
import { statements as taskLifecycle } from './task/lifecycle.ts';
import type { Statement } from './types.ts';
import { statements as workerCli } from './worker/cli.ts';
import { statements as workerConfig } from './worker/config.ts';
import { statements as workerExitCode } from './worker/exit-code.ts';
import { statements as workerFaults } from './worker/faults.ts';
import { statements as workerPorted } from './worker/from-upstream-tests.ts';
import { statements as workerShutdown } from './worker/shutdown.ts';
import { statements as workerRunnerProtocol } from './worker-runner/protocol.ts';

export type * from './types.ts';

export interface Vocabulary {
  areas: Record<string, string>;
  generations: Record<string, string>;
  platforms: Record<string, string>;
  levels: string[];
  requires: Record<string, string>;
}

export const vocabulary: Vocabulary = JSON.parse(readFileSync(new URL('./vocabulary.json', import.meta.url), 'utf8'));

const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*){2}$/;

/** Problems with a list of statements; empty when every house rule holds. */
export function validateStatements(list: Statement[], vocab: Vocabulary = vocabulary): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const s of list) {
    const where = `statement ${JSON.stringify(s.id)}`;
    if (!ID.test(s.id)) problems.push(`${where}: id is not <area>.<topic>.<behaviour> in kebab-case`);
    if (seen.has(s.id)) problems.push(`${where}: duplicate id`);
    seen.add(s.id);
    if (!(s.area in vocab.areas)) problems.push(`${where}: unknown area ${JSON.stringify(s.area)}`);
    if (!s.id.startsWith(`${s.area}.`)) problems.push(`${where}: id does not start with its area ${s.area}`);
    if (!vocab.levels.includes(s.level)) problems.push(`${where}: unknown level ${JSON.stringify(s.level)}`);
    if (s.generations.length === 0 || s.generations.some((g) => !(g in vocab.generations)))
      problems.push(`${where}: generations ${JSON.stringify(s.generations)} not a non-empty subset of the vocabulary`);
    if ((s.platforms ?? []).some((p) => !(p in vocab.platforms))) problems.push(`${where}: unknown platform`);
    if (!s.text || s.text.length > 300) problems.push(`${where}: text missing or longer than 300 characters`);
    if (s.source.length === 0) problems.push(`${where}: no source`);
    if (s.check !== undefined && typeof s.check !== 'function') problems.push(`${where}: check is not a function`);
  }
  return problems;
}

const all: Statement[] = [
  ...queueClaim,
  ...queueCredentials,
  ...queueReclaim,
  ...queueResolve,
  ...queueArtifact,
  ...queueApi,
  ...payloadSchema,
  ...payloadCommand,
  ...payloadMaxRunTime,
  ...payloadEnv,
  ...payloadOnExitStatus,
  ...payloadFeatures,
  ...payloadPorted,
  ...payloadValidation,
  ...taskLifecycle,
  ...logsFormat,
  ...logsErrors,
  ...logsArtifacts,
  ...artifactsPayload,
  ...artifactsEncoding,
  ...artifactsPorted,
  ...mounts,
  ...mountsPorted,
  ...cotCertificate,
  ...featuresSupersede,
  ...featuresProxy,
  ...featuresResourceMonitor,
  ...featuresMetadata,
  ...featuresRunTaskAsCurrentUser,
  ...featuresInteractive,
  ...featuresLoopback,
  ...featuresD2g,
  ...workerExitCode,
  ...workerShutdown,
  ...workerCli,
  ...workerConfig,
  ...workerPorted,
  ...sandboxCleanup,
  ...sandboxPorted,
  // Issue 10's catalogues: the runner invariants, the security area, fault statements in their areas.
  ...securityInvariants,
  ...securitySandbox,
  ...securityInputs,
  ...queueFaults,
  ...taskFaults,
  ...workerFaults,
  ...artifactsFaults,
  ...capacity,
  ...workerRunnerProtocol,
];

// Every statement says how it is judged: its checker's rule (its own `rule`, else spec/rules.ts), or
// that only the expect blocks of its cases judge it.
for (const s of all) s.rule ??= rules[s.id] ?? (s.check ? undefined : EXPECT_ONLY_RULE);

const problems = validateStatements(all);
if (problems.length > 0) throw new Error(`spec/: invalid statements:\n${problems.join('\n')}`);

/** Every statement of the spec, in document order. */
export const statements: readonly Statement[] = Object.freeze(all);

/** Statements by id. */
export const statementById: ReadonlyMap<string, Statement> = new Map(all.map((s) => [s.id, s]));
