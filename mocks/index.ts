// Public entry of the mock Taskcluster services (decisions/0001-architecture.md, "mocks/ public contract").
export { ANONYMOUS_ROLES, type Caller, type Client, type Credentials, PUBLIC_ANONYMOUS_SCOPES } from './auth.ts';
export { ApiError, type ErrorCode } from './errors.ts';
export { type ActiveFault, type FaultRule, Faults, validateFaultRule } from './faults.ts';
export type { ObjectModel } from './object/model.ts';
export type { PurgeModel } from './purge-cache/model.ts';
export type { Artifact, QueueModel, Run, TaskClaim, TaskRecord } from './queue/model.ts';
export { type ModelHarness, modelHarness } from './queue/testing.ts';
export type { ArtifactStore, StoredObject } from './store.ts';
export {
  type MockOptions,
  type MockServices,
  routes,
  startInProcessMockServices,
  startMockServices,
} from './services.ts';
export { Trace, type TraceEntry } from './trace.ts';
export type { WorkerManagerModel } from './worker-manager/handlers.ts';
