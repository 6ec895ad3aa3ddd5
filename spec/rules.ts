// Each checker's rule in words, by statement id: what it reads from the Observation (spec/types.ts)
// and what makes it fail, so a harness in another language can reimplement it. spec/index.ts puts
// each on its statement as `rule`; spec/generate.ts renders it in SPEC.md; a test holds every
// statement with a checker to having one here, and nothing here to lack a statement.
//
// Shared words: "claimed runs" are the runs in the tasks[] of the worker's 2xx claimWork answers in
// obs.trace; "run calls" are trace entries for a taskId/runId; "resolutions" are reportCompleted,
// reportFailed and reportException; "worker lines" are task-log lines starting [taskcluster…].
// Every checker is not applicable (null) when the observation holds nothing it reads.

/** The rule of a statement without a checker. */
export const EXPECT_ONLY_RULE =
  'No checker: a case that lists it fails when its expect block is not met (exit code, runs, task log, artifacts, Queue trace, worker output; conformance/judge.ts, spec/INTERPRETING.md).';

const SB =
  'Applicable on Linux to cases that require os-users (the runner has put the worker in its OS-user sandbox with the profile’s configForRequires), to tasks whose log has the line TC_SANDBOX_USER=<user> TC_SANDBOX_UID=<uid> TC_SANDBOX_HOME=<home> TC_SANDBOX_TASKDIR=<dir> (the fixtures print it); judged on the host after the worker exited.';

/** The tasks a cleanup sweep has followed: all but the one resolved last (generic-worker's purgeOldTasks skips the current task's user). */
const SWEPT =
  'Applicable only with config.cleanUpTaskDirs not false, to the tasks a later sweep followed: every reporting task but the one resolved last.';

const DECL =
  'the payload’s artifacts entries (reserved log and chain-of-trust names left out) of runs resolved other than exception (or exception/intermittent-task), with the 2xx createArtifact calls under each name (a directory: its name and below)';

const MAL =
  'Reads each claimed run’s payload (task definition) and the worker’s resolution. Applicable to runs the worker resolved whose payload ';

export const rules: Record<string, string> = {
  'task.faults.large-log-uploaded':
    'Reads each task’s public/logs/live_backing.log artifact as downloaded and decoded (its size in bytes). Fails when a task has none, or one under 32 MiB (33,554,432 bytes), the size the case’s task writes. Not applicable without tasks.',
  'worker.faults.fresh-worker-cleans-up':
    'Reads obs.host.taskDirs: the entries of the case’s tasks directory when the fresh (second) worker exited, lost+found left out. Fails when any is left. Not applicable without host facts.',
  // security.invariant (spec/security/invariants.check.ts); conformance/invariants.ts adds them to every security/ and faults/ case
  'security.invariant.resolved-once':
    'Reads the claimed runs and their run calls in obs.trace, and each run’s final state. Fails when a claimed run had more than one 2xx resolution, or none while the run was neither answered 409 nor resolved by the Queue itself (claim-expired, deadline-exceeded, canceled). Not applicable without claims.',
  'security.invariant.no-leftover-process':
    'Reads obs.host.leftover: the processes the runner found after the last worker exited, by the case’s TASK_ID in /proc/*/environ (Linux) and by the pid files tasks write to the case’s MARKERS directory, zombies left out. Fails when any is still running. Not applicable without host facts.',
  'security.invariant.nothing-outside-task-dir':
    'Reads obs.host.escapes (tc-kit-escape* entries found outside every task directory: /tmp, the ESCAPE_TMP path, the case directory) and obs.host.tampered (changes to the root-owned VICTIM file and VICTIM_DIR directory). Fails when either is non-empty. Not applicable without host facts.',
  'security.invariant.no-secret-leak':
    'Reads every secret the runner knows (the worker’s access token, every temporary token of the claims, the live-log secret, the signing keys, the root-only SENTINEL file’s content) and looks for each, as a substring, in the worker’s stdout and stderr, the live log read while the task ran, every task log and every downloaded artifact body. Fails when any is found, naming where and which.',
  // queue.claim (spec/queue/claim.check.ts)
  'queue.claim.request-shape':
    'Reads every claimWork call. Fails when one is not POST /claim-work/<provisionerId>/<workerType>, its body workerGroup or workerId is not 1–38 of [A-Za-z0-9_-], or its tasks is present and not an integer 1–32.',
  'queue.claim.scopes-required':
    'Reads every claimWork call. Fails when an unsigned one (clientId null) was answered 2xx, or a 403 answer lacks code InsufficientScopes.',
  'queue.claim.at-most-tasks':
    'Reads 2xx claimWork answers. Fails when one returned more claims than the request body’s tasks (default 1).',
  'queue.claim.no-overcommit':
    'Reads claimWork request bodies and config.capacity (default 1). Fails when a request asked for more tasks than capacity.',
  'queue.claim.empty-after-timeout':
    'Reads 2xx claimWork answers with no claims. Fails when such an answer is not {tasks: []}.',
  'queue.claim.no-busy-loop':
    'Reads consecutive claimWork calls. Fails when a poll started less than 100 ms after an empty or failed poll ended (trace time + durationMs).',
  'queue.claim.response-shape':
    'Reads each claim in 2xx claimWork answers. Fails when one lacks status, runId, workerGroup, workerId, takenUntil, task or credentials (clientId, accessToken, certificate), its status.state is not running, or status.runs[runId] does not carry the claimer and takenUntil.',
  'queue.claim.use-claim-run-id':
    'Reads run calls (reclaimTask, resolutions, createArtifact, finishArtifact) signed by the worker. Fails when one names a taskId/runId that no claim handed out.',
  'queue.claim.priority-order':
    'Reads runs 0 of claimed tasks, applicable only when at least two were claimed, none has dependencies and all were scheduled before the first claim. Fails when a task was claimed after one of lower priority.',
  'queue.claim.exclusive': 'Reads the claimed runs. Fails when one taskId/runId was handed out twice.',
  'queue.claim.quarantine-empty':
    'Reads claimWork calls the mock answered as quarantined (fault quarantine). Fails when such an answer carried claims.',

  // queue.credentials (spec/queue/credentials.check.ts)
  'queue.credentials.run-signed':
    'Reads run calls of claimed runs and the clientIds issued to each run (the claim’s credentials, then each 2xx reclaimTask’s). Fails when a run call was signed by any other clientId, or by nobody.',
  'queue.credentials.scoped-to-run':
    'Reads each claim’s credentials.certificate. Fails when it is not JSON, lacks queue:reclaim-task, queue:resolve-task or queue:create-artifact for <taskId>/<runId>, or its expiry is more than 1 s from the claim’s takenUntil.',
  'queue.credentials.replace-after-reclaim':
    'Reads run calls made after a 2xx reclaimTask issued new credentials. Fails when one was signed by a clientId other than the newest issued before it.',
  'queue.credentials.proxy-authorized-scopes':
    'Applicable when the main task asks for features.taskclusterProxy. Reads every run’s 2xx report* calls and 403 report* calls. Fails when a run was resolved by more than one kind of report call (a proxied call resolved it besides the worker).',
  'queue.credentials.not-exposed':
    'Reads the secrets the runner knows (spec/lib/secrets.ts: config values under keys matching token|secret|password, 8+ characters; each claim’s and reclaim’s temporary access token; the signing-key material in obs.secrets), every task log and every artifact body. Fails when one contains a secret.',
  // queue.reclaim (spec/queue/reclaim.check.ts)
  'queue.reclaim.before-taken-until':
    'Follows each claimed run’s calls in order, tracking takenUntil (the claim’s, then each 2xx reclaim’s). Fails when a reclaimTask or the first resolution was sent (trace time) after the takenUntil in force.',
  'queue.reclaim.cadence': 'Reads each run’s 2xx reclaimTask calls. Fails when two were sent less than 500 ms apart.',
  'queue.reclaim.response-shape':
    'Reads 2xx reclaimTask answers. Fails when one lacks status, runId, workerGroup, workerId, takenUntil or credentials, carries task, or has a takenUntil before the call.',
  'queue.reclaim.conflict-when-resolved':
    'Reads reclaimTask calls (no fault) sent after the run ended: after its first 2xx resolution or cancelTask in the trace, or after the Queue resolved it claim-expired/deadline-exceeded (its status’ resolved time). Fails when such a call was not answered 409.',
  'queue.reclaim.conflict-stops':
    'Reads reclaimTask calls answered 409. Fails when the worker later sent reportCompleted, reportFailed or reclaimTask for that run.',
  'queue.reclaim.retry-server-error':
    'Reads reclaimTask calls answered 5xx before the takenUntil in force. Fails when no later reclaimTask or resolution of the run followed.',

  // queue.resolve (spec/queue/resolve.check.ts)
  'queue.resolve.exactly-once':
    'Reads the claimed runs and their 2xx resolutions. Fails when a run has none (unless a call of it got 409 or its task was canceled) or more than one.',
  'queue.resolve.only-held-runs':
    'Reads resolutions signed by the worker. Fails when one names a run no claim handed out.',
  'queue.resolve.not-completed-on-failure':
    'Applicable when the case expects the last run to end other than completed. Fails when any reportCompleted was answered 2xx.',
  'queue.resolve.malformed-payload-explained':
    'Reads 2xx reportException calls with reason malformed-payload. Fails when the task has no log; when the case states the refusal (expect.refusal.about), when the worker’s own log lines (outside dumps such as the payload schema, and without the case’s own ids) do not name every term; otherwise when none of those lines says malformed, invalid, payload, scope, not allowed, must or not enabled.',
  'queue.resolve.resource-unavailable-after-retry':
    'Reads reportException calls with reason resource-unavailable. Fails when fewer than two failed calls (5xx, status 0 or injected fault) came before it in the trace.',
  'queue.resolve.worker-shutdown-reported':
    'Applicable when the worker exited (exit code or signal) after claiming. Fails when a claimed run’s status is still running.',
  'queue.resolve.intermittent-only-when-asked':
    'Reads reportException calls with reason intermittent-task. Fails when the task’s payload has no onExitStatus.retry codes.',
  'queue.resolve.exception-request-shape':
    'Reads reportException calls. Fails when a body other than exactly {reason: one of worker-shutdown, malformed-payload, resource-unavailable, internal-error, intermittent-task} was not answered 400, or a valid one was.',
  'queue.resolve.conflict-unless-running':
    'Reads reportCompleted/reportFailed calls sent after the run was canceled (status resolved time) or after a different 2xx resolution or cancelTask of it. Fails when one was not answered 409.',
  'queue.resolve.idempotent':
    'Reads resolutions repeated after a run’s first 2xx resolution. Fails when the same resolution (same route, same reason) was not answered 2xx, or a different one was not answered 409.',
  'queue.resolve.retry-run':
    'Walks each task’s runs with its retries (default 5). Fails when an exception run with worker-shutdown, intermittent-task or claim-expired and retries left is not followed by a run created retry/task-retry/retry, or when any other exception run is followed by a run not created rerun.',
  'queue.resolve.no-use-after-resolve':
    'Reads the worker’s calls of a run after its 2xx resolution. Fails on any call other than a resolution, except createArtifact/finishArtifact after reportException.',
  'queue.resolve.empty-body': 'Reads reportCompleted and reportFailed calls. Fails when one sent a non-empty body.',
  'queue.resolve.claim-expired':
    'Reads runs resolved claim-expired. Fails when one was resolved before its takenUntil, or (with retries left) was not followed by a run created retry.',
  'queue.resolve.deadline-exceeded':
    'Reads runs resolved deadline-exceeded. Fails when one was resolved before the task’s deadline or is followed by another run.',
  'queue.resolve.cancel':
    'Reads runs resolved canceled (from the task status). Fails when another run follows one, or a reclaimTask or resolution of it sent after the cancel was answered 2xx.',

  // queue.api (spec/queue/api.check.ts)
  'queue.api.create-task-rules':
    'Reads createTask calls. Fails when a 2xx answer lacks status, or its status does not apply the defaults (schedulerId "-", priority lowest, retriesLeft = retries or 5), or a task whose expires is before its deadline was accepted.',
  'queue.api.initial-state':
    'Reads 2xx createTask answers of tasks with no dependencies (or only themselves). Fails when the task is not pending with runs[0] pending, reasonCreated scheduled.',
  'queue.api.status-consistent':
    'Reads every observed task status. Fails when status.state is not its last run’s state (unscheduled with none), run ids are not 0, 1, 2…, or a run other than the last is not completed, failed or exception.',
  'queue.api.error-shape':
    'Reads Queue answers 4xx/5xx that no fault injected. Fails when a body is not JSON with string code, string message and requestInfo.',
  'queue.api.retry-policy':
    'Reads the worker’s run calls in order. Fails when a call answered 400, 403 or 404 was sent again unchanged (same route, path and body), or one answered 5xx was never sent again and its task was not resolved since.',
  'queue.api.json-content-type':
    'Reads claimWork, reportException, createArtifact and finishArtifact calls. Fails when one was sent without Content-Type application/json.',
  // queue.artifact and queue.resolve.after-artifacts (spec/queue/artifact.check.ts)
  'queue.resolve.after-artifacts':
    'Reads each 2xx reportCompleted/reportFailed and the run’s 2xx createArtifact calls. Fails when an artifact was created after the resolution, or an object artifact was not finished (2xx finishArtifact) before it.',
  'queue.artifact.run-state':
    'Reads createArtifact calls sent after the run’s 2xx resolution. Fails when one within 25 min of a reportException was answered 409, or one after reportCompleted/reportFailed (or later than 25 min) was not answered 409.',
  'queue.artifact.exception-then-upload':
    'Reads 2xx reportException calls with reason internal-error. Fails when the run created a public/logs/ artifact before that call.',
  'queue.artifact.unknown-run-rejected':
    'Reads createArtifact calls for a run that the task status does not show as claimed (no workerId) or for a task not observed. Fails when one was not answered 400.',
  'queue.artifact.expires-in-range':
    'Reads createArtifact bodies with expires. Fails when expires is more than 1 s after the task’s expires, or more than 15 min before the call.',
  'queue.artifact.printable-name':
    'Reads createArtifact calls. Fails when the artifact name (from the path) is not printable ASCII (0x20–0x7e).',
  'queue.artifact.prefer-object':
    'Reads createArtifact calls for data (storageType s3 or object). Fails when one uses s3.',
  'queue.artifact.object-response-unchanged':
    'Reads 2xx createArtifact answers for object artifacts and the object-service createUpload/finishUpload calls under the returned name. Fails when there is none, or one uses another uploadId, projectId or expires, or is not signed with the returned upload credentials.',
  'queue.artifact.finish-upload-first':
    'Reads finishArtifact calls. Fails when no 2xx object finishUpload with the same uploadId came before.',
  'queue.artifact.finish-artifact-status':
    'Reads finishArtifact calls. Fails when one for an artifact never created was not answered 404, or one for a non-object artifact or with a foreign uploadId was not answered 400.',
  'queue.artifact.object-invisible-until-finished':
    'Reads artifact reads (getArtifact, artifact info…) of object artifacts created but not yet finished. Fails when one was not answered 404.',
  'queue.artifact.s3-put-headers':
    'Reads 2xx s3 createArtifact answers and the PUTs to their putUrl (route storePut). Fails when there is no PUT, or one lacks Content-Length or sends a Content-Type other than the one requested.',
  'queue.artifact.request-schema':
    'Reads createArtifact bodies. Fails on an unknown storageType, a missing required key or an extra key (object/s3: storageType, expires, contentType, optional contentLength; reference: + url; link: storageType, expires, artifact, optional contentType; error: storageType, expires, reason, message).',
  'queue.artifact.error-artifact':
    'Reads createArtifact bodies with storageType error. Fails when the reason is not file-missing-on-worker, invalid-resource-on-worker, too-large-file-on-worker or file-not-readable-on-worker, or the message is missing or over 4096 characters.',
  'queue.artifact.recreate-rules':
    'Reads createArtifact calls repeating a name already created in the run (object artifacts excepted). Compatible = same storage type (or reference → link), same contentType (unless link), expires not earlier, same url/artifact/reason/message. Fails when a compatible repeat got 409 or an incompatible one did not.',
  'queue.artifact.no-object-repeat':
    'Reads 2xx createArtifact calls for object artifacts. Fails when one name was created twice in a run.',
  'queue.artifact.get-answers':
    'Reads getArtifact/getLatestArtifact calls. Fails when a never-created artifact was not answered 404, an error artifact not 424, or a reference/s3 artifact not 303.',
  'queue.artifact.link-followed':
    'Reads reads of link artifacts. Fails when one was answered other than 303, 400, 404 or 424.',
  // payload (spec/payload/*.check.ts; "ran" = each claimed run with its payload, log and resolution)
  'payload.command.exit-on-fail':
    'Reads each claimed run’s log: the "Exit Code: N" result lines and the "Executing command N:" lines. For a run with a non-zero exit code, fails when a command started after the first failing one, or (unless that code is in onExitStatus.retry) the run was not resolved reportFailed or reportException.',
  'payload.command.all-zero-completes':
    'Reads runs whose log shows one "Exit Code: 0" per payload command. Fails when such a run was resolved reportFailed.',
  'payload.max-run-time.exceeded-aborts':
    'Reads runs whose log says "max run time exceeded" (any case). Fails when one was not resolved reportFailed.',
  'payload.on-exit-status.retry-intermittent':
    'Reads runs with onExitStatus.retry whose last logged exit code is non-zero. Fails when a listed code was not resolved exception/intermittent-task, or an unlisted one was.',
  'payload.on-exit-status.retry-minimum': `${MAL}has an onExitStatus.retry code that is not a number of at least 1. Fails when such a run was not resolved exception/malformed-payload.`,
  'payload.features.unknown-rejected': `${MAL}requests a feature generic-worker does not know (not chainOfTrust, taskclusterProxy, runAsAdministrator, liveLog, backingLog, interactive, loopbackVideo, loopbackAudio, runTaskAsCurrentUser, resourceMonitor, hideCmdWindow). Fails when such a run was not resolved exception/malformed-payload.`,
  'payload.schema.validated-first':
    'Reads runs resolved exception/malformed-payload that have a log. Fails when the log announces any "Executing command N:".',
  'payload.schema.errors-logged':
    'Reads runs resolved exception/malformed-payload that have a log. Fails when the log has no line starting [taskcluster:error].',
  'payload.schema.required-fields': `${MAL}lacks command or maxRunTime. Fails when such a run was not resolved exception/malformed-payload.`,
  'payload.schema.no-additional-properties': `${MAL}has a top-level key outside command, env, maxRunTime, artifacts, features, mounts, osGroups, supersederUrl, onExitStatus, rdpInfo, logs, taskclusterProxyInterface. Fails when such a run was not resolved exception/malformed-payload.`,
  'payload.schema.env-strings': `${MAL}has an env value that is not a string. Fails when such a run was not resolved exception/malformed-payload.`,
  'payload.schema.command-not-empty': `${MAL}has an empty command list or an empty command. Fails when such a run was not resolved exception/malformed-payload.`,
  'payload.schema.max-run-time-bounds': `${MAL}has a maxRunTime that is not an integer from 1 to the cap (v11: 86400; current: the case’s setup.config maxTaskRunTime, default 86400). Fails when such a run was not resolved exception/malformed-payload.`,
  'payload.schema.empty-object': `${MAL}is {}. Fails when such a run was not resolved exception/malformed-payload.`,
  'mounts.entry.unrecognised': `${MAL}has a mount with none of cacheName, directory or file. Fails when such a run was not resolved exception/malformed-payload.`,

  // task (spec/task/lifecycle.check.ts)
  'task.end.backing-log-last':
    'Reads each claimed run resolved reportCompleted/reportFailed and its 2xx createArtifact calls before that. Fails when any artifact was created after the backing log (payload logs.backing, default public/logs/live_backing.log).',

  // logs (spec/logs/*.check.ts; "task logs" = each task’s decoded backing log of its last run)
  'logs.format.info-prefix':
    'Reads every task-log line starting "[taskcluster ". Fails when one does not match [taskcluster YYYY-MM-DDTHH:MM:SS.mmmZ] followed by a space.',
  'logs.format.warn-prefix':
    'Reads every task-log line starting "[taskcluster:warn". Fails when one does not match [taskcluster:warn YYYY-MM-DDTHH:MM:SS.mmmZ] followed by a space.',
  'logs.format.error-prefix':
    'Reads every task-log line starting "[taskcluster:error". Fails when one is not exactly "[taskcluster:error] " then text (no timestamp).',
  'logs.format.header':
    'Reads the worker lines of each non-empty task log. Fails when "Worker Type (…) settings:", "Task ID: <taskId>" or "=== Task Starting ===" is missing or out of that order, or (current generation) the parenthesis does not hold <provisionerId>/<workerType>.',
  'logs.format.footer':
    'Reads task logs that announce a command. Fails when there is no "=== Task Finished ===" worker line, or no "Task Duration: " worker line after it.',
  'logs.format.executing-command':
    'Reads the "Executing command N: " worker lines of each log. Fails when the Nth such line does not carry N (numbered from 0 in order).',
  'logs.format.exit-code-line':
    'Splits each task log at its "Executing command N:" worker lines. Fails when a command’s segment has no result line ("Exit Code: N", "Command ABORTED after …", "System error executing command…"; for v11 also "Aborting task...").',
  'logs.backing.published':
    'Reads each claimed run the worker resolved whose payload does not set features.backingLog false. Fails when the run created no (2xx) artifact named as the backing log (logs.backing, default public/logs/live_backing.log).',
  'logs.backing.content-type':
    'Reads the backing-log createArtifact calls. Fails when a contentType is not exactly "text/plain; charset=utf-8".',
  'logs.backing.gzip':
    'Reads each task’s observed backing-log artifacts (not error artifacts). Fails when one was not stored with Content-Encoding gzip.',
  'logs.backing.expires-with-task':
    'Reads the backing-log createArtifact calls. Fails when an expires is more than 1 s from the task’s expires.',
  'logs.backing.before-resolve':
    'Reads the run’s first backing-log createArtifact and its 2xx resolution. Fails when the log was created after reportCompleted/reportFailed.',
  'logs.live.final-pointer':
    'Reads the last live-log createArtifact (logs.live, default public/logs/live.log) of runs with a backing log. Current generation: fails unless it is a link whose artifact is the backing log; v11: unless it is a reference whose url ends /artifacts/<backing log name>.',
  'logs.live.streams-while-running':
    'Applicable to cases with setup.liveLog. Reads obs.liveLog (the runner’s reading of the live log URL while the task ran). Fails when there is no reading or no reference URL, the until marker never arrived, or it arrived after the main task’s 2xx resolution.',
  'logs.live.disabled':
    'Reads runs whose payload sets features.liveLog false. Fails when such a run created a live-log artifact.',
  'logs.backing.disabled':
    'Reads runs whose payload sets features.backingLog false. Fails when such a run created a backing-log artifact.',
  'logs.names.custom':
    'Reads runs whose payload sets logs.live or logs.backing. Fails when that log is enabled but no artifact of that name was created.',
  // artifacts (spec/artifacts/payload-artifacts.check.ts; "declared" entries: DECL)
  'artifacts.file.uploaded': `Reads ${DECL}, type file. Fails when nothing (data or error artifact) was created for one.`,
  'artifacts.content-type.explicit': `Reads ${DECL} that give contentType. Fails when a data artifact created for one has another contentType.`,
  'artifacts.content-type.guessed':
    'Reads the stored data artifacts of declared entries without contentType whose name ends .txt, .json or .log. Fails unless the observed contentType is text/plain; charset=utf-8, application/json or text/plain respectively.',
  'artifacts.content-encoding.gzip-default':
    'Reads the stored (not object) data artifacts of declared entries without contentEncoding whose name ends .txt, .json or .log. Fails when one was not stored with Content-Encoding gzip.',
  'artifacts.content-encoding.identity-compressed':
    'Reads the stored data artifacts of declared entries without contentEncoding whose name ends in a compressed format (.7z .br .bz2 .gif .gz .jpeg .jpg .lz4 .png .tbz .tgz .webp .whl .woff .woff2 .xz .zip .zst). Fails when one was stored gzip-encoded.',
  'artifacts.error.file-missing':
    'Reads declared entries for which an error artifact was created. Fails when the entry is not optional and the task’s last run did not end failed.',
  'artifacts.expires.default': `Reads ${DECL} without expires. Fails when a created artifact’s expires is more than 1 s from the task’s expires.`,
  'artifacts.expires.explicit': `Reads ${DECL} with expires. Fails when a created artifact’s expires is more than 1 s from the entry’s.`,

  // mounts (spec/mounts/mounts.check.ts; runs the worker resolved whose payload has mounts)
  'mounts.file.dependency-required':
    'Reads runs with mounts whose content names a taskId not in the task’s dependencies. Fails when such a run was not resolved exception/malformed-payload.',
  'mounts.cache.scope-required':
    'Reads runs mounting a cacheName the task’s scopes do not grant (generic-worker:cache:<name>, or a scope ending * that prefixes it). Fails when such a run was not resolved exception/malformed-payload.',
  // chain of trust (spec/chain-of-trust/certificate.check.ts; a run's certificate is public/chain-of-trust.json, or the text signed in public/chainOfTrust.json.asc)
  'chain-of-trust.certificate.fields':
    'Reads each run’s published certificate. Fails when the .asc is not a clear-signed message, the certificate is not JSON or does not validate against schemas/cot-certificate.schema.json, or its taskId, runId, workerGroup or workerId differ from the run and its claim.',
  'chain-of-trust.certificate.artifact-hashes':
    'Reads each certificate’s artifacts map and the run’s observed artifacts. Fails when a listed artifact was not published or its sha256 (of the decoded body) differs, public/logs/certified.log is not listed, or live.log, live_backing.log or a certificate file is listed.',
  'chain-of-trust.certificate.certified-log':
    'Reads runs that published a certificate. Fails when the run has no public/logs/certified.log artifact.',
  'chain-of-trust.ed25519.signature':
    'Reads public/chain-of-trust.json bodies and the ed25519 seed at config.ed25519SigningKeyLocation. Fails when the key cannot be read, or public/chain-of-trust.json.sig is missing, not 64 bytes, or does not verify over the certificate’s bytes.',
  'chain-of-trust.openpgp.clear-signed':
    'Reads public/chainOfTrust.json.asc bodies. Fails when one does not start "-----BEGIN PGP SIGNED MESSAGE-----" or has no armored "-----BEGIN PGP SIGNATURE-----…-----END PGP SIGNATURE-----" block.',
  'chain-of-trust.certificate.content-types':
    'Reads observed chain-of-trust artifacts. Fails unless chain-of-trust.json, chainOfTrust.json.asc and certified.log are text/plain; charset=utf-8 and chain-of-trust.json.sig is application/octet-stream.',

  // features (spec/features/*.check.ts)
  'features.supersede.url-verbatim':
    'Reads the main task’s payload supersederUrl and the calls to the superseder. Fails when a call’s path is not the URL’s path (with its query, if any), or ?taskId= was appended.',
  'features.supersede.resolves-superseded':
    'Reads each task whose superseder answer (200) lists another task first. Fails unless its last run ended exception/superseded and it published public/superseded-by.json whose taskId is that first task.',
  'features.interactive.shell-artifact':
    'Reads tasks whose payload sets features.interactive true. Fails when the task created no private/generic-worker/shell.html, or it is not a reference artifact whose url carries a ws:// or wss:// socketUrl query parameter.',
  // worker (spec/worker/*.check.ts)
  'worker.exit-code.tasks-complete':
    'Applicable when config.numberOfTasksToRun > 0 and the worker exited 0. Fails when the number of claimed runs differs from numberOfTasksToRun.',
  'worker.exit-code.cant-load-config':
    'Applicable to cases with setup.configRaw (not JSON) or setup.noConfigFile. Fails unless the worker exited 64 (v11: 65 for bad JSON, 73 for a missing file).',
  'worker.exit-code.idle-timeout':
    'Applicable when idleTimeoutSecs (setup.config, else config) is > 0, no signal is sent and nothing was claimed. Fails unless the worker exited 68.',
  'worker.exit-code.deployment-shutdown':
    'Applicable when the worker exited 70. Fails unless config.deploymentId is a non-empty string.',
  'worker.exit-code.sigint': 'Applicable when setup.signals sends SIGINT. Fails unless the worker exited 71.',
  'worker.exit-code.sigterm': 'Applicable when setup.signals sends SIGTERM. Fails unless the worker exited 72.',
  'worker.exit-code.invalid-config':
    'Applicable when setup.config removes a key (null). Fails unless the worker exited 73.',
  'worker.cli.show-payload-schema':
    'Applicable when setup.args[0] is show-payload-schema. Fails when stdout is not JSON, or neither it nor a oneOf branch requires command, or that schema does not require maxRunTime.',
  'worker.cli.version':
    'Applicable when setup.args[0] is --version. Fails when the first stdout line has no N.N.N version.',
  'worker.cli.new-ed25519-keypair':
    'Applicable when setup.args[0] is new-ed25519-keypair. Fails unless stdout (trimmed) is base64 of 32 bytes.',
  'worker.cli.new-openpgp-keypair':
    'Applicable when setup.args[0] is new-openpgp-keypair. Fails unless stdout holds "-----BEGIN PGP PUBLIC KEY BLOCK-----".',
  'worker.config.required-missing':
    'Applicable when setup.config removes a key (null). Fails unless the worker exited 73 and its stdout+stderr names every removed key.',
  'worker.config.secrets-masked':
    'Reads the secrets the runner knows from the config and obs.secrets (spec/lib/secrets.ts; not the run tokens) and the worker’s stdout and stderr. Fails when the output contains one of them.',
  // sandbox (spec/sandbox/cleanup.check.ts)
  'sandbox.task-user.fresh-user': `${SB} Fails when a task ran as a user not named task_*, as uid 0 or the runner’s own uid, with a HOME not ending /<user>, or two tasks shared a user.`,
  'sandbox.cleanup.user-deleted': `${SB} ${SWEPT} Fails when getent passwd (else /etc/passwd) still knows such a task’s user.`,
  'sandbox.cleanup.files-removed': `${SB} ${SWEPT} Fails when such a task’s home or task directory still exists.`,
  'sandbox.cleanup.before-exit': `${SB} Applicable only with config.cleanUpTaskDirs not false. Fails when any reporting task’s user (the last included) still exists, or its home or task directory does.`,
  'sandbox.cleanup.processes-killed': `${SB} Fails when /proc shows a live (not zombie) process whose real or effective uid is a task user’s.`,
  'sandbox.cleanup.tmp-files-removed': `${SB} Fails when /tmp/tc-sandbox-<taskId> (which the fixtures make each task leave) still exists.`,
  'sandbox.os-groups.unknown-group':
    'Applicable on Linux to cases that require os-users, to tasks whose payload osGroups names a group neither /etc/group nor getent group knows. Fails unless the task’s last run ended exception/malformed-payload.',
  'sandbox.os-groups.supplementary':
    'Applicable on Linux to cases that require os-users, to tasks with osGroups whose log has a line TC_SANDBOX_GROUPS=<id -Gn>. Fails when a requested group is not in that list.',
};
