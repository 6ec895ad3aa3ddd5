// The mock's own control API under /mock/v1/, for harnesses that are not written in TypeScript: what
// conformance/run-case.ts's RunContext does in process (fault rules, the trace since a sequence number,
// per-queue claim timeouts, the superseder, shouldWorkerTerminate, static clients) and stopping the mock
// with its trace written (where signals do not reach it), over Hawk-signed HTTP.
// Every route needs scope `mock:admin` (the admin client has `*`); routes are internal, so they are
// neither traced nor subject to faults, and both transports serve them as they serve the Queue.
import { QUEUE_ISSUER } from '../auth.ts';
import { ApiError, conflict, inputError, notFound } from '../errors.ts';
import { validateFaultRule } from '../faults.ts';
import { json, type Route } from '../router.ts';

export const CONTROL_SCOPE = 'mock:admin';
const CLIENT_ID = /^[A-Za-z0-9!@/:.+|_-]+$/;

const control = (r: Omit<Route, 'service' | 'internal' | 'scopes'>): Route => ({
  ...r,
  service: 'mock',
  internal: true,
  scopes: () => CONTROL_SCOPE,
});

export const controlRoutes: Route[] = [
  control({
    name: 'listFaults',
    method: 'GET',
    path: '/mock/v1/faults',
    handle: ({ state }) => json({ faults: state.faults.list() }),
  }),
  control({
    name: 'addFault',
    method: 'POST',
    path: '/mock/v1/faults',
    input: 'mock/v1/fault-rule',
    handle({ body, state }) {
      let id: number;
      try {
        id = state.faults.add(validateFaultRule(body, 'fault rule'));
      } catch (e) {
        throw inputError((e as Error).message);
      }
      return json(state.faults.list().find((f) => f.id === id));
    },
  }),
  control({
    name: 'clearFaults',
    method: 'DELETE',
    path: '/mock/v1/faults',
    handle({ state }) {
      const removed = state.faults.list().length;
      state.faults.clear();
      return json({ removed });
    },
  }),
  control({
    name: 'removeFault',
    method: 'DELETE',
    path: '/mock/v1/faults/<faultId>',
    handle({ params, state }) {
      if (!/^[1-9][0-9]*$/.test(params.faultId)) {
        throw new ApiError('InvalidRequestArguments', `Invalid URL parameter faultId: \`${params.faultId}\``);
      }
      const rule = state.faults.list().find((f) => f.id === Number(params.faultId));
      if (!rule) throw notFound(`No fault rule with id ${params.faultId}`);
      state.faults.remove(rule.id);
      return json(rule);
    },
  }),
  control({
    name: 'trace',
    method: 'GET',
    path: '/mock/v1/trace',
    query: { since: /^[0-9]+$/ },
    handle({ query, state }) {
      // `last` and the entries are read together, so `?since=<last>` next time misses nothing.
      const last = state.trace.last();
      return json({ last, entries: state.trace.since(Number(query.since ?? 0)) });
    },
  }),
  control({
    name: 'setClaimTimeout',
    method: 'PUT',
    path: '/mock/v1/claim-timeout/<taskQueueId*>',
    input: 'mock/v1/claim-timeout',
    handle({ params, body, state }) {
      state.model.setClaimTimeout(params.taskQueueId, body.seconds ?? undefined);
      return json({
        taskQueueId: params.taskQueueId,
        seconds: body.seconds ?? state.model.claimTimeoutMs / 1000,
      });
    },
  }),
  control({
    name: 'setSupersedes',
    method: 'PUT',
    path: '/mock/v1/supersedes/<taskId>',
    input: 'mock/v1/supersedes',
    handle({ params, body, state }) {
      state.model.setSupersedes(params.taskId, body.supersedes);
      return json({ taskId: params.taskId, supersedes: state.model.supersedesOf(params.taskId) });
    },
  }),
  control({
    name: 'setShouldTerminate',
    method: 'PUT',
    path: '/mock/v1/should-terminate/<workerPoolId*>/<workerGroup>/<workerId>',
    input: 'mock/v1/should-terminate',
    handle({ params, body, state }) {
      const { workerPoolId, workerGroup, workerId } = params;
      state.workerManager.setShouldTerminate(workerPoolId, workerGroup, workerId, body.terminate);
      return json({ workerPoolId, workerGroup, workerId, terminate: body.terminate });
    },
  }),
  control({
    name: 'shutdown',
    method: 'POST',
    path: '/mock/v1/shutdown',
    handle({ request, state }) {
      // Close once this answer has gone out (the loopback transport aborts the request's signal when its
      // response closes); the timer bounds the wait where nothing aborts it (the in-process transport).
      const timer = setTimeout(state.shutdown, 1000);
      request.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        state.shutdown();
      });
      return json({ stopping: true }, 200, { connection: 'close' });
    },
  }),
  control({
    name: 'setClient',
    method: 'PUT',
    path: '/mock/v1/clients/<clientId*>',
    input: 'mock/v1/client',
    handle({ params, body, state, caller }) {
      const { clientId } = params;
      if (!CLIENT_ID.test(clientId)) {
        throw new ApiError('InvalidRequestArguments', `Invalid URL parameter clientId: \`${clientId}\``);
      }
      // The queue's signing client and the caller's own stay as they are: replacing either would lock the
      // harness (or every run's temporary credentials) out.
      if (clientId === QUEUE_ISSUER || clientId === caller.clientId) {
        throw conflict(`Client \`${clientId}\` is ${clientId === QUEUE_ISSUER ? "the queue's own" : 'the caller'}`);
      }
      state.auth.clients.set(clientId, { clientId, accessToken: body.accessToken, scopes: [...body.scopes] });
      return json({ clientId, scopes: body.scopes });
    },
  }),
];
