// Payload rules no JSON Schema can express, decided before anything runs (found and judged by the property tests in
// test/properties/: generated payloads, an independent oracle, the worker's verdict). Each is a payload a worker
// cannot honour as written: an OS cannot pass it to a process, the Queue refuses the artifact it implies, or a mount
// has nowhere legitimate to go. The worker resolves exception/malformed-payload and its log names the rule.
import { BOTH, CURRENT, gw, gw11, gwb, tc } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const EXECVE = 'execve(2) / CreateProcess: argv and environment entries are NUL-terminated strings';
const ARG_MAX =
  'Linux MAX_ARG_STRLEN (131072 bytes per string), macOS ARG_MAX (1 MiB), Windows 32,767 characters per variable';
const PROPS = 'test/properties/ (generated payloads; issue 10 item 9, issue 14)';
const noRule = (what: string) =>
  `Upstream has no such check: ${what}. The kit holds workers to malformed-payload, which says what is wrong before anything runs; generic-worker's own outcome is recorded by the differential run (README "Differential testing").`;

export const statements: Statement[] = [
  {
    id: 'payload.env.no-nul',
    area: 'payload',
    level: 'MUST',
    text: 'An env value containing a NUL byte makes the payload malformed: no OS can pass it to a process, and truncating it would change the value.',
    source: [EXECVE, gwb('2.4'), PROPS],
    generations: BOTH,
    divergence: noRule('generic-worker hands the value to Go os/exec, which refuses it when the command starts'),
  },
  {
    id: 'payload.env.valid-name',
    area: 'payload',
    level: 'MUST',
    text: 'An env name that is empty or contains "=" or NUL (on Windows also one equal to another but for case) makes the payload malformed.',
    source: [EXECVE, gwb('2.4'), PROPS],
    generations: BOTH,
    divergence: noRule('the name reaches the process environment as given'),
  },
  {
    id: 'payload.env.size-limit',
    area: 'payload',
    level: 'MUST',
    text: 'An env variable longer than the OS passes to a process (NAME=value over 131072 bytes; Windows 32,767 characters), or argv plus env over 1 MiB, makes the payload malformed.',
    source: [ARG_MAX, PROPS],
    generations: BOTH,
    divergence: noRule('the command fails to start (E2BIG)'),
  },
  {
    id: 'payload.command.no-nul',
    area: 'payload',
    level: 'MUST',
    text: 'A command argument (Windows: command line) containing a NUL byte makes the payload malformed.',
    source: [EXECVE, PROPS],
    generations: BOTH,
    divergence: noRule('Go os/exec refuses the argument when the command starts'),
  },
  {
    id: 'payload.command.size-limit',
    area: 'payload',
    level: 'MUST',
    text: 'A command argument over 131072 bytes (Linux MAX_ARG_STRLEN; POSIX workers) makes the payload malformed.',
    source: [ARG_MAX, PROPS],
    generations: BOTH,
    platforms: ['linux', 'darwin'],
    divergence: noRule('the command fails to start (E2BIG)'),
  },
  {
    id: 'artifacts.name.printable',
    area: 'artifacts',
    level: 'MUST',
    text: 'A payload artifact name (or the path it defaults to when it is absent or empty), or a logs.live / logs.backing name, that is empty or not printable ASCII makes the payload malformed: the Queue refuses such names.',
    source: [tc('services/queue/src/api.js'), 'queue-worker-interaction.md §5 Q-44', PROPS],
    generations: BOTH,
    divergence: `${noRule(
      'generic-worker calls createArtifact, gets 400 and, in artifacts.go classifyCreateArtifactError, panics (WORKER EXCEPTION due to response code 400)',
    )} One exception measured: a directory artifact with path "" and no name, which v106 publishes file by file under the files' relative paths (artifact_feature.go FindArtifacts), the whole task directory; tc-worker refuses it.`,
  },
  {
    id: 'artifacts.content-type.valid',
    area: 'artifacts',
    level: 'MUST',
    text: 'A payload artifact contentType over 255 characters or not printable ASCII makes the payload malformed: the Queue caps it at 255 and it is sent as an HTTP header.',
    source: [tc('services/queue/schemas/v1/post-artifact-request.yml'), PROPS],
    generations: BOTH,
    divergence: noRule('the Queue or the S3 PUT refuses the value when the artifact is uploaded'),
  },
  {
    id: 'payload.artifact-expiry.parseable',
    area: 'payload',
    level: 'MUST',
    text: 'A payload artifact expires that passes the date-time format but names no point in time (a leap second, 23:59:60) makes the payload malformed.',
    source: [gw('artifacts.go'), PROPS],
    generations: BOTH,
    divergence: `${noRule('the expiry is parsed when the payload is read')} The format itself: v106's validator (gojsonschema DateTimeFormatChecker) also takes a bare date ("2026-01-01") or time as date-time, and the differential run saw it run such a task; the kit holds workers to RFC 3339 date-time, as the schema says.`,
  },
  {
    id: 'logs.names.distinct',
    area: 'logs',
    level: 'MUST',
    text: 'logs.live and logs.backing naming the same artifact (both logs on) make the payload malformed.',
    source: [gw('main.go'), gw('feature.go'), PROPS],
    generations: CURRENT,
  },
  {
    id: 'mounts.target.inside-task-dir',
    area: 'mounts',
    level: 'MUST',
    text: "A mount path that is empty, absolute, contains NUL, leaves the task directory or lies in the worker's generic-worker/ directory, or a writable cache at the task directory itself, makes the payload malformed (a file or read-only directory there fails at run time, as upstream's mounts tests show).",
    source: [gwb('5'), gw11('mounts.go'), PROPS],
    generations: BOTH,
    divergence:
      'Current generic-worker also accepts absolute mount paths (fileutil.AbsFrom in mounts_feature.go); 11.0.1 joins every path to the task directory. Neither checks that the result stays inside it.',
  },
  {
    id: 'mounts.target.overlap',
    area: 'mounts',
    level: 'MUST',
    text: 'Mounts whose paths overlap are placed in order; one whose path is already taken fails the run (failed/failed) before any command, never malformed-payload or internal-error.',
    source: [gw('mounts_feature.go'), gw('mounts_test.go'), PROPS],
    generations: BOTH,
  },
  {
    id: 'mounts.cache.name-valid',
    area: 'mounts',
    level: 'MUST',
    text: 'A writable directory cache with an empty cacheName makes the payload malformed.',
    source: [gwb('5'), PROPS],
    generations: BOTH,
    divergence: noRule('an empty name needs scope generic-worker:cache: and is used as it is'),
  },
  {
    id: 'mounts.cache.name-once',
    area: 'mounts',
    level: 'SHOULD',
    text: 'A writable cache name mounted twice in one task makes the payload malformed for a worker that keeps one directory per cache name.',
    source: [gw('mounts_feature.go'), gw11('mounts.go'), PROPS],
    generations: BOTH,
    divergence:
      'Current generic-worker keeps a pool of directories per cache name (AcquireCache in mounts_feature.go), so each mount gets its own and the task runs; 11.0.1 moves the one directory twice.',
  },
  {
    id: 'mounts.archive.supported-format',
    area: 'mounts',
    level: 'MAY',
    text: 'A mount format the schema lists but the worker cannot extract makes the payload malformed, naming the format and those it extracts.',
    source: [gw('mounts_feature.go'), PROPS],
    generations: BOTH,
    divergence:
      'Current generic-worker extracts all fourteen formats of its schema (mholt/archiver); the reference worker extracts zip, tar, tar.gz, tar.bz2, tar.xz and tar.zst.',
  },
  {
    id: 'mounts.content.inline-no-sha256',
    area: 'mounts',
    level: 'MUST',
    text: 'Raw and base64 mount content take no sha256 (there is nothing to download and verify); a payload giving one is malformed.',
    source: [
      gw('schemas/insecure_posix.yml'),
      gw('schemas/multiuser_posix.yml'),
      gw('schemas/multiuser_windows.yml'),
      PROPS,
    ],
    generations: CURRENT,
  },
  {
    id: 'artifacts.name.any-printable',
    area: 'artifacts',
    level: 'MUST',
    text: "Every artifact name the Queue takes (printable ASCII: apostrophes, '#', '?', '%', spaces and the like included) is uploaded under exactly that name.",
    source: [tc('services/queue/src/api.js'), gw('artifacts.go'), PROPS],
    generations: BOTH,
    divergence:
      "taskcluster-client (87.1.3, and clients/client at v106) signs a URL holding an apostrophe as hawk's Url.parse escapes it (%27) but sends it raw, so the Queue answers 401 Bad mac: a worker built on it must send such URLs escaped (generic-worker's Go client does).",
  },
  {
    id: 'artifacts.name.empty-is-path',
    area: 'artifacts',
    level: 'MUST',
    text: 'A payload artifact whose name is the empty string is published under its path, as one with no name is.',
    source: [gw('artifact_feature.go'), gw11('artifacts.go'), PROPS],
    generations: BOTH,
    divergence:
      'The payload schemas say only "if not set, path will be used"; both generic-worker versions treat "" as not set (v106 artifact_feature.go FindArtifacts, 11.0.1 artifacts.go PayloadArtifacts: if base.Name == "" use the canonical path). The differential run found tc-worker refusing "" as not printable ASCII while v106 ran the task; tc-worker now does as generic-worker.',
  },
];
