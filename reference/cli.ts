// `tc-worker`: generic-worker's command line (generic-worker-behaviour.md §6.2) with commander.
// Every failure ends with one of the documented exit codes (exit-codes.ts); `--help` lists all of them and
// every config property, generated from schemas/config.schema.json so help and validation cannot drift.
// Only what every command needs is imported here; each command's action imports the rest when it runs, so
// `--version` or `--help` does not load the worker, and `run` does not load key generation or install targets
// (decisions/0004-start-up-cost.md).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { configProperties, loadConfig } from './config.ts';
import { ExitCode, ExitError, exitCodeTable } from './exit-codes.ts';
import { CurrentUserPlatform, currentOs } from './platform/current-user.ts';
import type { WindowsPlatform } from './platform/windows.ts';
import type { TargetResult } from './platform/windows/targets.ts';
import { VERSION } from './version.ts';

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l)).join('\n');
}

/** The configuration and exit-code sections of `--help`, in the seed usage text's layout. */
export function helpAppendix(): string {
  const props = configProperties();
  const pad = 36;
  const indent = ' '.repeat(10 + pad);
  const entry = (p: (typeof props)[number]) => {
    let text = p.description;
    if (p.default !== undefined) text += ` [default: ${JSON.stringify(p.default)}]`;
    return `          ${p.name.padEnd(pad)}${wrap(text, 74, indent)}`;
  };
  const codes = exitCodeTable.map(([c, m]) => `    ${String(c).padEnd(7)}${wrap(m, 90, '           ')}`);
  return [
    '',
    'Configuring the worker:',
    '',
    '    The configuration file is given with --config CONFIG-FILE. Its format is a JSON object of',
    '    name/value pairs, validated against schemas/config.schema.json. Either rootURL or',
    '    queueBaseURL must be given.',
    '',
    '        ** REQUIRED ** properties',
    '        =========================',
    '',
    ...props.filter((p) => p.required).map(entry),
    '',
    '        ** OPTIONAL ** properties',
    '        =========================',
    '',
    ...props.filter((p) => !p.required).map(entry),
    '',
    '    If an optional config setting is not provided, its default (documented above) is used.',
    '    A missing or unparsable config file exits 64; a config that parses but is invalid exits 73.',
    '',
    'Exit Codes:',
    '',
    ...codes,
    '',
  ].join('\n');
}

/** Print a platform target's result and exit with its code. */
function report(r: TargetResult): never {
  if (r.stdout) process.stdout.write(`${r.stdout}\n`);
  if (r.stderr) process.stderr.write(`tc-worker: ${r.stderr}\n`);
  process.exit(r.exitCode);
}

function fail(err: unknown): never {
  if (err instanceof ExitError) {
    process.stderr.write(`tc-worker: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`tc-worker: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(ExitCode.INTERNAL_ERROR);
}

async function run(configFile: string, withWorkerRunner = false): Promise<void> {
  const os = currentOs();
  // Under worker-runner the protocol starts before anything else, so that even a config error reaches
  // the runner (as an error-report) and nothing is written before its welcome (v106 main.go).
  const runner = withWorkerRunner ? await import('./worker-runner.ts') : undefined;
  const protocol = runner ? new runner.WorkerRunnerProtocol(process.stdin, process.stdout) : undefined;
  // The worker's log under worker-runner: `log` messages once negotiated, else stderr.
  const runnerLog = runner && protocol && new runner.ProtocolLogStream(protocol, (l) => process.stderr.write(l));
  const exit = async (code: number): Promise<never> => {
    await protocol?.flush();
    process.exit(code);
  };
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(configFile, os);
  } catch (e) {
    if (!protocol || !runner) fail(e);
    await protocol.initialised();
    const code = e instanceof ExitError ? e.exitCode : ExitCode.INTERNAL_ERROR;
    const message = e instanceof ExitError ? e.message : `internal error: ${(e as Error)?.stack ?? String(e)}`;
    runnerLog?.write(`${JSON.stringify({ level: 50, name: 'tc-worker', exitCode: code, msg: message })}\n`);
    runner.errorReport(protocol, message, { exitCode: String(code) });
    return exit(code);
  }
  const [{ workerLog, fdDestination }, { Worker }] = await Promise.all([
    import('./worker-log.ts'),
    import('./worker.ts'),
    // A worker configured for object artifacts loads taskcluster-client (artifact-upload.ts uses it for them)
    // before it claims anything: evaluating it holds the event loop for most of a second, more on a busy
    // machine, which in the middle of a task could hold a reclaim past a short claim.
    config.createObjectArtifacts ? import('taskcluster-client') : undefined,
  ]);
  const logger = workerLog({ name: 'tc-worker', workerId: config.workerId }, runnerLog || fdDestination(2));
  // The OS-user sandbox lives in the per-OS platforms (reference/platform/index.ts).
  // Windows always uses its platform: commands run through generic-worker's wrapper batch scripts.
  const platform =
    config.runTasksAsCurrentUser && os !== 'windows'
      ? new CurrentUserPlatform()
      : await import('./platform/index.ts').then((m) => m.platformFor(m.hostOs()));
  // Windows multiuser: one task user, and so one task, per boot (platform/windows/lifecycle.ts).
  // (platformFor gives every Windows worker that does not run tasks as itself a WindowsPlatform.)
  const windowsCycle = platform.os === 'windows' && !config.runTasksAsCurrentUser;
  const lifecycle = windowsCycle ? await import('./platform/windows/lifecycle.ts') : undefined;
  if (lifecycle) {
    const boot = await lifecycle.windowsBoot(platform as WindowsPlatform, config, logger).catch((e) => fail(e));
    if ('exitCode' in boot) {
      logger.info({ exitCode: boot.exitCode }, 'worker exiting');
      process.exit(boot.exitCode);
    }
  }
  // With worker-runner's `shutdown` negotiated the runner removes the worker; otherwise the machine goes down.
  const shutdownMachine = async (reason: string) => {
    if (protocol?.send({ type: 'shutdown' })) logger.info({ reason }, 'asked worker-runner to shut down this worker');
    else await platform.shutdown(reason);
  };
  const worker = new Worker({
    config: windowsCycle ? { ...config, numberOfTasksToRun: 1 } : config,
    platform,
    logger,
    managed: protocol !== undefined,
    shutdownMachine,
  });
  protocol?.on('graceful-termination', (msg) => {
    const finishTasks = msg['finish-tasks'] === true;
    logger.warn({ finishTasks }, `Got graceful-termination request with finish-tasks=${finishTasks}`);
    worker.gracefulTermination(finishTasks);
  });
  protocol?.on('new-credentials', (msg) => {
    const clientId = msg['client-id'];
    const accessToken = msg['access-token'];
    if (typeof clientId !== 'string' || typeof accessToken !== 'string') {
      logger.error('new-credentials without client-id and access-token: ignored');
      return;
    }
    const certificate = typeof msg.certificate === 'string' && msg.certificate !== '' ? msg.certificate : undefined;
    worker.updateCredentials({ clientId, accessToken, ...(certificate ? { certificate } : {}) });
  });
  process.on('SIGINT', () => worker.interrupt());
  process.on('SIGTERM', () => worker.terminate());
  // generic-worker's first log line blocks until welcome, so it claims nothing before the runner is ready.
  await protocol?.initialised();
  let code: number;
  try {
    code = await worker.run();
    if (lifecycle && code === ExitCode.TASKS_COMPLETE)
      code = (await lifecycle.prepareNextUser(platform as WindowsPlatform, config, logger)).exitCode;
  } catch (e) {
    const message = `internal error: worker cannot continue: ${(e as Error)?.stack ?? String(e)}`;
    logger.error(message);
    if (protocol && runner) runner.errorReport(protocol, message, { exitCode: String(ExitCode.INTERNAL_ERROR) });
    if (config.shutdownMachineOnInternalError) await shutdownMachine('tc-worker internal error').catch(() => {});
    code = ExitCode.INTERNAL_ERROR;
  }
  // v106 main.go: when worker-manager asked for the termination, the runner is told to shut the worker down.
  if (protocol && code === ExitCode.WORKER_MANAGER_SHUTDOWN)
    await shutdownMachine('worker manager requested termination');
  logger.info({ exitCode: code }, 'worker exiting');
  await exit(code);
}

async function newOpenPgpKeypair(file: string): Promise<void> {
  try {
    const openpgp = (await import('./chain-of-trust/openpgp.ts')).loadOpenpgp();
    const { privateKey, publicKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'ed25519Legacy',
      userIDs: [{ name: 'tc-worker', comment: 'chain of trust signing key' }],
      format: 'armored',
    });
    writeFileSync(file, privateKey, { mode: 0o600 });
    process.stdout.write(publicKey);
  } catch (e) {
    throw new ExitError(
      ExitCode.CANT_CREATE_OPENPGP_KEYPAIR,
      `Not able to create an OpenPGP key pair: ${(e as Error).message}`,
    );
  }
}

/** generic-worker's ed25519 key file format: base64 of the 32-byte seed; the public key goes out as base64. */
function newEd25519Keypair(file: string): void {
  try {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
    const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    writeFileSync(file, `${seed.toString('base64')}\n`, { mode: 0o600 });
    process.stdout.write(`${pub.toString('base64')}\n`);
  } catch (e) {
    throw new ExitError(
      ExitCode.CANT_CREATE_OPENPGP_KEYPAIR,
      `Not able to create an ed25519 key pair: ${(e as Error).message}`,
    );
  }
}

export function buildProgram(): Command {
  const program = new Command('tc-worker')
    .description(
      'A Taskcluster worker compatible with generic-worker: it claims tasks from the Queue, runs them and reports back.',
    )
    .version(`tc-worker ${VERSION} (generic-worker compatible)`, '--version', 'The release version of the worker.')
    .helpOption('--help', 'Display this help text.')
    .addHelpText('after', helpAppendix);

  program
    .command('run')
    .description('Runs the worker.')
    .option('--config <CONFIG-FILE>', 'JSON configuration file to use (see below).', 'generic-worker.config')
    .option(
      '--with-worker-runner',
      "Started by worker-runner: speak the runner/worker protocol (~{json} lines) on stdin/stdout; the worker's log goes to the runner as log messages when it supports them, else to stderr.",
    )
    .action((opts: { config: string; withWorkerRunner?: boolean }) => run(opts.config, opts.withWorkerRunner === true));

  program
    .command('show-payload-schema')
    .description('Prints the JSON Schema task payloads are validated with on this platform.')
    .action(async () => {
      const { payloadSchemaPath, readSchema } = await import('./schemas.ts');
      process.stdout.write(`${JSON.stringify(readSchema(payloadSchemaPath(currentOs())), null, 2)}\n`);
    });

  program
    .command('new-openpgp-keypair')
    .description('Writes a new OpenPGP private key to --file and prints the armored public key.')
    .requiredOption('--file <PRIVATE-KEY-FILE>', 'File to write the private key to (overwritten; mode 0600).')
    .action((opts: { file: string }) => newOpenPgpKeypair(opts.file).catch(fail));

  program
    .command('new-ed25519-keypair')
    .description('Writes a new ed25519 private key (base64 seed) to --file and prints the base64 public key.')
    .requiredOption('--file <PRIVATE-KEY-FILE>', 'File to write the private key to (overwritten; mode 0600).')
    .action((opts: { file: string }) => {
      try {
        newEd25519Keypair(opts.file);
      } catch (e) {
        fail(e);
      }
    });

  program
    .command('install')
    .description('Windows only: install the worker as a Windows service with nssm (exits 65 elsewhere).')
    .argument('<what>', 'service')
    .option('--nssm <NSSM-EXE>', 'Path of nssm.exe.', 'C:\\nssm-2.24\\win64\\nssm.exe')
    .option('--service-name <SERVICE-NAME>', 'Name of the Windows service.', 'Generic Worker')
    .option('--config <CONFIG-FILE>', 'Config file the installed service uses.', 'generic-worker.config')
    .option('--dry-run', 'Print the commands and files it would run and write, one JSON line each, on any OS.')
    .action(async (what: string, opts) => {
      const { installServiceTarget } = await import('./platform/windows/targets.ts');
      report(await installServiceTarget({ what, ...opts, dryRun: Boolean(opts.dryRun), os: currentOs() }));
    });

  program
    .command('grant-winsta-access')
    .description('Windows only: grant a logon SID full control of the interactive window station (exits 74 elsewhere).')
    .addOption(new Option('--sid <SID>', 'SID to grant access to, e.g. S-1-5-5-0-41431533.').makeOptionMandatory())
    .option('--dry-run', 'Print the commands and files it would run and write, one JSON line each, on any OS.')
    .action(async (opts) => {
      const { grantWinstaTarget } = await import('./platform/windows/targets.ts');
      report(await grantWinstaTarget({ sid: opts.sid, dryRun: Boolean(opts.dryRun), os: currentOs() }));
    });

  program
    .command('launch-agent-plist')
    .description(
      'macOS: print (or write) the launch agent that runs the worker at load (generic-worker install guide, section "macOS - multiuser/insecure build": ui/docs/reference/workers/generic-worker/installing.mdx in taskcluster v106).',
    )
    .option('--program <PATH>', 'Worker executable (default: this node and bin/tc-worker.js).')
    .option('--config <CONFIG-FILE>', 'Config file the agent runs with.', '/etc/generic-worker.config')
    .requiredOption('--working-directory <DIR>', "The worker user's home: tasks and the signing key live there.")
    .option('--output <FILE>', 'Write the plist here instead of printing it.')
    .action(async (opts) => {
      const { launchAgentPlistTarget } = await import('./platform/windows/targets.ts');
      report(launchAgentPlistTarget(opts));
    });

  program
    .command('launch-agent-config')
    .description(
      'macOS: print (or write, mode 0600) the worker config of the launch agent (generic-worker install guide, section "macOS - multiuser/insecure build": ui/docs/reference/workers/generic-worker/installing.mdx in taskcluster v106).',
    )
    .requiredOption('--client-id <ID>', 'Taskcluster client id.')
    .option('--access-token <TOKEN>', 'Access token (default: $TASKCLUSTER_ACCESS_TOKEN).')
    .requiredOption('--root-url <URL>', 'Taskcluster root URL.')
    .requiredOption('--provisioner-id <ID>', 'Provisioner id.')
    .requiredOption('--worker-type <TYPE>', 'Worker type.')
    .requiredOption('--worker-group <GROUP>', 'Worker group.')
    .requiredOption('--worker-id <ID>', 'Worker id.')
    .option('--livelog-secret <SECRET>', 'Live log secret (generic-worker 11).', randomBytes(12).toString('hex'))
    .option('--public-ip <IP>', 'Public IPv4 address (generic-worker 11 requires one).', '127.0.0.1')
    .option('--output <FILE>', 'Write the config here instead of printing it.')
    .action(async (opts) => {
      const { launchAgentConfigTarget } = await import('./platform/windows/targets.ts');
      report(
        launchAgentConfigTarget({
          clientId: opts.clientId,
          accessToken: opts.accessToken,
          rootURL: opts.rootUrl,
          provisionerId: opts.provisionerId,
          workerType: opts.workerType,
          workerGroup: opts.workerGroup,
          workerId: opts.workerId,
          livelogSecret: opts.livelogSecret,
          publicIP: opts.publicIp,
          output: opts.output,
        }),
      );
    });

  program
    .command('verify-cot')
    .description("Verifies a task run's chain of trust through the Queue: signature, then every artifact's sha256.")
    .requiredOption('--task-id <TASK-ID>', 'Task whose chain of trust to verify.')
    .requiredOption('--root-url <ROOT-URL>', 'Taskcluster root URL.')
    .option('--run-id <RUN-ID>', 'Run to verify (default: the latest).')
    .option('--openpgp-public-key <FILE>', 'Armored OpenPGP public key: checks public/chainOfTrust.json.asc.')
    .option(
      '--ed25519-public-key <KEY>',
      'base64 ed25519 public key (or a file holding it): checks public/chain-of-trust.json.sig.',
    )
    .addHelpText(
      'after',
      [
        '',
        'Credentials: from TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN (and TASKCLUSTER_CERTIFICATE for',
        'temporary credentials) when set; without them the Queue is called anonymously, which reads only',
        'public/ artifacts, and only if the deployment grants its anonymous role queue:get-artifact:public/*.',
        '',
        'Exit codes: 0 verified, 1 not verified (the reason is printed), 2 bad usage.',
      ].join('\n'),
    )
    .action(async (opts) => {
      const { runVerifyCot } = await import('./chain-of-trust/verify.ts');
      process.exitCode = await runVerifyCot(opts);
    });

  return program;
}

await buildProgram().parseAsync(process.argv);
