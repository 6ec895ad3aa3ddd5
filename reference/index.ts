// Public entry of the reference worker (package export `./reference`), for embedding and tests;
// the command line is reference/cli.ts (`tc-worker`).
export { configProperties, loadConfig, type ResolvedConfig, validateConfig, type WorkerConfig } from './config.ts';
export { ExitCode, ExitError, exitCodeTable } from './exit-codes.ts';
export { TaskError } from './features/feature.ts';
export { createFeatures, type WorkerFeature } from './features/index.ts';
export { CurrentUserPlatform } from './platform/current-user.ts';
export { payloadSchemaPath, readSchema } from './schemas.ts';
export { type RunResult, runTask, type TaskClaim, type TaskContext } from './task-run.ts';
export { VERSION } from './version.ts';
export { Worker, type WorkerOptions } from './worker.ts';
