// payload.features.*, payload.os-groups.* and payload.artifact-expiry.*: feature requests and checks made before the task starts.
import { BOTH, CURRENT, gw, gw11, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as schema from './schema.check.ts';

const area = 'payload';

export const statements: Statement[] = [
  {
    id: 'payload.features.unknown-rejected',
    area,
    level: 'MUST',
    text: 'An unknown key under payload.features makes the payload malformed.',
    source: [gwb('1.1'), gw11('all-unix-style.yml')],
    generations: BOTH,
    check: schema.unknownFeature,
  },
  {
    id: 'payload.features.disabled-rejected',
    area,
    level: 'MUST',
    text: 'A task requesting a feature the worker config disables resolves malformed-payload with a message saying the feature is not enabled.',
    source: [gwb('2.2'), gw('main.go')],
    generations: CURRENT,
  },
  {
    id: 'payload.features.missing-scopes',
    area,
    level: 'MUST',
    text: 'A task lacking the scopes a requested feature needs resolves malformed-payload, and the log names the missing scopes.',
    source: [gwb('2.1'), gw11('main.go'), gw('mounts_test.go')],
    generations: BOTH,
  },
  {
    id: 'payload.os-groups.empty-allowed',
    area,
    level: 'MUST',
    text: 'On POSIX osGroups: [] is accepted.',
    source: [gwb('9.2'), gw11('os_groups_all-unix-style_test.go')],
    generations: BOTH,
    platforms: ['linux', 'darwin'],
  },
  {
    id: 'payload.os-groups.unsupported-rejected',
    area,
    level: 'MUST',
    text: 'On POSIX without per-task users, an osGroups entry the worker cannot honour makes the payload malformed.',
    source: [gwb('1.1'), gwb('1.2'), gw('os_groups_insecure_test.go'), gw('os_groups_insecure.go')],
    generations: BOTH,
    platforms: ['linux', 'darwin'],
    divergence:
      '11.0.1 rejects any non-empty osGroups by schema (maxItems 0, "Array must have at most 0 items"); current insecure accepts groups the worker user already has, except the one named as the user (os_groups_insecure.go currentUserGroups: "non-predictable"), and rejects the rest ("task payload contains unsupported osGroups"). A group no user is in is malformed in both.',
  },
  {
    id: 'payload.artifact-expiry.before-deadline',
    area,
    level: 'MUST',
    text: 'A payload artifact that expires more than 1 s before the task deadline makes the payload malformed (1 s is allowed for rounding).',
    source: [gwb('1.1'), gw('payload_test.go'), gw('artifact_feature.go'), gw11('main.go')],
    generations: BOTH,
  },
  {
    id: 'payload.artifact-expiry.after-task-expiry',
    area,
    level: 'MUST',
    text: 'A payload artifact that expires after the task expires makes the payload malformed.',
    source: [gwb('1.1'), gw('payload_test.go')],
    generations: BOTH,
    divergence:
      "generic-worker allows 1 s after the task's expiry too (artifact_feature.go Start, 11.0.1 main.go), but the Queue's createArtifact refuses any later expiry with 400, on which artifacts.go classifyCreateArtifactError panics; the kit holds workers to the Queue's limit.",
  },
  {
    id: 'payload.artifact-expiry.between',
    area,
    level: 'MUST',
    text: 'A payload artifact expiring between the deadline and the task expiry is accepted and used.',
    source: [gw('payload_test.go')],
    generations: BOTH,
  },
];
