#!/usr/bin/env python3
"""A small Taskcluster worker in Python 3.9+, standard library only: the worked example of
conformance/WRITING-A-WORKER.md. It claims tasks, runs their commands in a fresh directory as its
own OS user, publishes the task log and file artifacts, and resolves each run, in generic-worker's
dialect (config keys, task log format, artifact rules, exit codes). Usage: worker.py run --config F
"""
import argparse
import base64
import datetime
import grp
import gzip
import hashlib
import hmac
import json
import mimetypes
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

VERSION = '0.1.0'
EXIT_CODES = """Exit Codes:
   0   numberOfTasksToRun tasks were run
   2   bad command line
  64   the config file cannot be loaded (missing, not JSON, unknown key, wrong type)
  68   no task was claimed for idleTimeoutSecs
  69   internal error (e.g. tasksDir cannot be created)
  71   stopped by SIGINT, after the running task finished
  72   stopped by SIGTERM; the running task was resolved exception/worker-shutdown
  73   the config is invalid (a required key is missing or a value is unsupported)"""


class ExitError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def say(message):
    """The worker's own log (stderr); task output goes to the task log instead."""
    print(f'{now_iso()} {message}', file=sys.stderr, flush=True)


# ---- Config: generic-worker's key names. Unknown keys and wrong types make the file unloadable
# (64); a missing required key or a value this worker cannot honour makes it invalid (73).
REQUIRED = object()
CONFIG_KEYS = {
    'rootURL': (str, REQUIRED), 'clientId': (str, REQUIRED), 'accessToken': (str, REQUIRED),
    'provisionerId': (str, REQUIRED), 'workerType': (str, REQUIRED),
    'workerGroup': (str, REQUIRED), 'workerId': (str, REQUIRED),
    'tasksDir': (str, os.path.abspath('tasks')), 'numberOfTasksToRun': (int, 0), 'idleTimeoutSecs': (int, 0),
    'instanceType': (str, ''), 'workerTypeMetadata': (dict, {}), 'capacity': (int, 1),
    'disableReboots': (bool, False),  # this worker never reboots
    # Accepted only with the value that needs nothing this worker lacks (per-task users, a proxy, ...).
    'runTasksAsCurrentUser': (bool, True), 'enableTaskclusterProxy': (bool, False),
    'shutdownMachineOnIdle': (bool, False),
}
ONLY_VALUE = {'runTasksAsCurrentUser': True, 'enableTaskclusterProxy': False, 'shutdownMachineOnIdle': False,
              'capacity': 1}
SECRETS = ('accessToken',)


def load_config(path):
    try:
        with open(path, encoding='utf-8') as f:
            raw = json.load(f)
    except (OSError, ValueError) as e:
        raise ExitError(64, f'cannot load config file {path}: {e}')
    if not isinstance(raw, dict):
        raise ExitError(64, f'config file {path}: expected a JSON object')
    for key, value in raw.items():
        if key not in CONFIG_KEYS:
            raise ExitError(64, f'config file {path}: unknown key {key!r}')
        want = CONFIG_KEYS[key][0]
        if type(value) is not want:  # not isinstance: JSON true is not an integer here
            raise ExitError(64, f'config file {path}: {key} must be a JSON {want.__name__}, not {value!r}')
    cfg = {}
    for key, (_, default) in CONFIG_KEYS.items():
        if key not in raw and default is REQUIRED:
            raise ExitError(73, f'invalid config: required setting {key} is missing')
        cfg[key] = raw.get(key, default)
    if cfg['capacity'] < 1:
        raise ExitError(73, 'invalid config: capacity must be at least 1')
    for key, only in ONLY_VALUE.items():
        if cfg[key] != only:
            raise ExitError(73, f'invalid config: {key} {cfg[key]!r} is not supported by this worker (only {only!r})')
    say('config: ' + json.dumps({k: '*****' if k in SECRETS else v for k, v in cfg.items()}))
    return cfg


# ---- Hawk: every Queue call is signed. Permanent credentials for claimWork; each run's temporary
# credentials (from claimWork and reclaimTask) for everything about that run, the certificate in `ext`.
def hawk_header(creds, method, url):
    u = urllib.parse.urlsplit(url)
    ts, nonce = str(int(time.time())), base64.urlsafe_b64encode(os.urandom(9)).decode()
    ext = ''
    if creds.get('certificate'):
        cert = creds['certificate']
        cert = json.loads(cert) if isinstance(cert, str) else cert
        ext = base64.b64encode(json.dumps({'certificate': cert}).encode()).decode()
    port = u.port or (443 if u.scheme == 'https' else 80)
    resource = u.path + (f'?{u.query}' if u.query else '')
    normalized = f'hawk.1.header\n{ts}\n{nonce}\n{method}\n{resource}\n{u.hostname}\n{port}\n\n{ext}\n'
    mac = base64.b64encode(hmac.new(creds['accessToken'].encode(), normalized.encode(), hashlib.sha256).digest())
    ext_attr = f'ext="{ext}", ' if ext else ''
    return f'Hawk id="{creds["clientId"]}", ts="{ts}", nonce="{nonce}", {ext_attr}mac="{mac.decode()}"'


class ApiError(Exception):
    def __init__(self, status, message):  # status None: no HTTP answer (connection error)
        super().__init__(message)
        self.status = status


def backoff(attempt):
    time.sleep(min(0.1 * 2 ** attempt, 5))


class Queue:
    def __init__(self, root_url, creds):
        self.base = root_url.rstrip('/') + '/api/queue/v1'
        self.creds = creds  # replaced after each reclaim

    def call(self, method, path, body=None, attempts=5):
        """JSON in, JSON out; 5xx and connection errors are retried with backoff, 4xx never."""
        url = self.base + path
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(1, attempts + 1):
            req = urllib.request.Request(url, data=data, method=method)
            req.add_header('Authorization', hawk_header(self.creds, method, url))
            if data is not None:
                req.add_header('Content-Type', 'application/json')
            try:
                with urllib.request.urlopen(req, timeout=90) as res:
                    text = res.read()
                    return json.loads(text) if text else {}
            except urllib.error.HTTPError as e:
                err = ApiError(e.code, f'{method} {path}: HTTP {e.code} {e.read()[:300].decode(errors="replace")}')
            except OSError as e:
                err = ApiError(None, f'{method} {path}: {e}')
            if (err.status is not None and err.status < 500) or attempt == attempts:
                raise err
            backoff(attempt)


def q(s):
    return urllib.parse.quote(str(s), safe='')


# ---- The task log, in generic-worker's format: the kit's checkers parse these prefixes.
class TaskLog:
    def __init__(self, path):
        self.path = path
        self.file = open(path, 'ab', buffering=0)  # unbuffered: commands write to the same file

    def _lines(self, prefix, text):
        self.file.write(''.join(f'{prefix} {line}\n' for line in text.split('\n')).encode())

    def info(self, text):
        self._lines(f'[taskcluster {now_iso()}]', text)

    def warn(self, text):
        self._lines(f'[taskcluster:warn {now_iso()}]', text)

    def error(self, text):
        self._lines('[taskcluster:error]', text)  # no timestamp, as generic-worker


def duration(secs):
    return f'{secs * 1000:.3f}ms' if secs < 1 else f'{secs:.3f}s'


# ---- The payload this worker accepts, as JSON Schema (printed by show-payload-schema and for an
# invalid payload), with a validator for the few keywords it uses.
NOT_ENABLED = ('chainOfTrust', 'taskclusterProxy', 'interactive', 'resourceMonitor', 'loopbackAudio', 'loopbackVideo')
PAYLOAD_SCHEMA = {
    '$schema': 'http://json-schema.org/draft-07/schema#', 'title': 'tc-python-worker payload', 'type': 'object',
    'required': ['command', 'maxRunTime'], 'additionalProperties': False,
    'properties': {
        'command': {'type': 'array', 'minItems': 1, 'items': {'type': 'array', 'minItems': 1, 'items': {'type': 'string'}}},
        'maxRunTime': {'type': 'integer', 'minimum': 1, 'maximum': 86400},
        'env': {'type': 'object', 'additionalProperties': {'type': 'string'}},
        'artifacts': {'type': 'array', 'uniqueItems': True, 'items': {
            'type': 'object', 'required': ['type', 'path'], 'additionalProperties': False, 'properties': {
                'type': {'enum': ['file', 'directory']}, 'path': {'type': 'string'}, 'name': {'type': 'string'},
                'expires': {'type': 'string', 'format': 'date-time'}, 'contentType': {'type': 'string'},
                'contentEncoding': {'enum': ['identity', 'gzip']}, 'optional': {'type': 'boolean'}}}},
        'features': {'type': 'object', 'additionalProperties': False, 'properties': {
            f: {'type': 'boolean'} for f in ('backingLog', 'liveLog') + NOT_ENABLED}},
        'logs': {'type': 'object', 'additionalProperties': False,
                 'properties': {'live': {'type': 'string'}, 'backing': {'type': 'string'}}},
        'onExitStatus': {'type': 'object', 'additionalProperties': False, 'properties': {
            'retry': {'type': 'array', 'items': {'type': 'integer', 'minimum': 1}},
            'purgeCaches': {'type': 'array', 'items': {'type': 'integer', 'minimum': 0}}}},  # no caches here
        'osGroups': {'type': 'array', 'uniqueItems': True, 'items': {'type': 'string'}},
        'supersederUrl': {'type': 'string'},  # accepted and ignored, as current generic-worker
    },
}
JSON_TYPES = {'object': dict, 'array': list, 'string': str, 'boolean': bool}


def schema_errors(value, schema, at='payload'):
    if 'enum' in schema and value not in schema['enum']:
        return [f'{at}: must be one of {schema["enum"]}']
    if schema.get('format') == 'date-time':
        try:
            parse_time(value)
        except (TypeError, ValueError):
            return [f'{at}: must be a date-time']
    t = schema.get('type')
    if t and not (type(value) is int if t == 'integer' else isinstance(value, JSON_TYPES[t])):
        return [f'{at}: must be of type {t}']
    errors = []
    if isinstance(value, dict):
        errors += [f'{at}: {k} is required' for k in schema.get('required', []) if k not in value]
        for k, v in value.items():
            sub = schema.get('properties', {}).get(k, schema.get('additionalProperties', True))
            if sub is False:
                errors.append(f'{at}: additional property {k!r} is not allowed')
            elif isinstance(sub, dict):
                errors += schema_errors(v, sub, f'{at}.{k}')
    elif isinstance(value, list):
        if len(value) < schema.get('minItems', 0):
            errors.append(f'{at}: must have at least {schema["minItems"]} item(s)')
        if schema.get('uniqueItems') and len({json.dumps(v, sort_keys=True) for v in value}) < len(value):
            errors.append(f'{at}: items must be unique')
        for i, v in enumerate(value):
            errors += schema_errors(v, schema.get('items', {}), f'{at}[{i}]')
    elif type(value) is int:
        if value < schema.get('minimum', value):
            errors.append(f'{at}: must be at least {schema["minimum"]}')
        if value > schema.get('maximum', value):
            errors.append(f'{at}: must be at most {schema["maximum"]}')
    return errors


def parse_time(s):
    return datetime.datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp()


# ---- Artifacts
ALREADY_COMPRESSED = set('.7z .apk .br .bz2 .deb .dmg .gif .gz .jar .jpeg .jpg .lz4 .png .tgz .whl .xz .zip .zst'.split())
MIME = mimetypes.MimeTypes()  # Python's built-in table only, not the host's /etc/mime.types


def content_type(path):
    if path.lower().endswith('.log'):
        return 'text/plain'
    t = MIME.guess_type(path)[0] or 'application/octet-stream'
    return f'{t}; charset=utf-8' if t.startswith('text/') else t


class ArtifactProblem(Exception):
    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


class Run:
    """One claimed run: from the claim to its resolution."""

    def __init__(self, cfg, claim, shutting_down):
        self.cfg, self.task = cfg, claim['task']
        self.task_id, self.run_id = claim['status']['taskId'], claim['runId']
        self.queue = Queue(cfg['rootURL'], claim['credentials'])
        self.taken_until = parse_time(claim['takenUntil'])
        self.dir = os.path.join(cfg['tasksDir'], f'task_{self.task_id}_{self.run_id}')
        self.abort_reason = 'worker-shutdown' if shutting_down else None  # or 'lost'
        self.proc = None
        self.done = threading.Event()

    def path(self, suffix=''):
        return f'/task/{q(self.task_id)}/runs/{self.run_id}{suffix}'

    def abort(self, reason):
        self.abort_reason = self.abort_reason or reason
        self.kill()

    def kill(self):
        proc = self.proc
        if proc and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the whole process group, not only bash
            except ProcessLookupError:
                pass

    def keep_claimed(self):
        """Reclaim 3 minutes before takenUntil (halfway for short claims); a 4xx means the run is lost."""
        while True:
            remaining = self.taken_until - time.time()
            if remaining <= 0:
                say(f'{self.task_id}/{self.run_id}: claim expired')
                return self.abort('lost')
            if self.done.wait(remaining - min(180, remaining / 2)):
                return
            try:
                res = self.queue.call('POST', self.path('/reclaim'))
                self.queue.creds, self.taken_until = res['credentials'], parse_time(res['takenUntil'])
            except ApiError as e:
                say(f'{self.task_id}/{self.run_id}: reclaim failed: {e}')
                if e.status is not None and e.status < 500:
                    return self.abort('lost')  # cancelled, deadline passed, or resolved elsewhere

    def execute(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.real_dir = os.path.realpath(self.dir)
        self.log = TaskLog(self.dir + '.log')  # outside the task directory: task code cannot touch it
        reclaimer = threading.Thread(target=self.keep_claimed, daemon=True)
        reclaimer.start()
        metadata = json.dumps(self.cfg['workerTypeMetadata'], indent=2).replace('\n', '\n  ')
        self.log.info(f"Worker Type ({self.cfg['provisionerId']}/{self.cfg['workerType']}) settings:\n  {metadata}\n"
                      f"Task ID: {self.task_id}\nRun ID: {self.run_id}\n=== Task Starting ===")
        payload = self.task['payload']
        errors = schema_errors(payload, PAYLOAD_SCHEMA)
        try:
            if errors:
                self.log.error('TASK FAIL since the task payload is invalid. See errors:\n' +
                               '\n'.join(f'- {e}' for e in errors))
                self.log.info('Task payload for this worker type must conform to the following jsonschema:\n' +
                              json.dumps(PAYLOAD_SCHEMA, indent=2))
                outcome, payload = ('exception', 'malformed-payload'), {}
            else:
                outcome = self.check_payload(payload)
                if outcome is None:
                    started = time.monotonic()
                    outcome = self.run_commands(payload)
                    self.log.info(f'=== Task Finished ===\nTask Duration: {duration(time.monotonic() - started)}')
                    # Artifacts are published whether the commands succeeded or not; the first problem wins.
                    if self.abort_reason != 'lost':
                        problem = self.upload_artifacts(payload)
                        outcome = outcome or problem
        except Exception as e:  # a bug in this worker: it costs this run only, the worker keeps serving
            say(f'{self.task_id}/{self.run_id}: internal error: {e!r}')
            self.log.error(f'Internal worker error: {e!r}')
            outcome = ('exception', 'internal-error')
        self.done.set()
        if self.abort_reason == 'lost':
            say(f'{self.task_id}/{self.run_id}: run lost (cancelled, expired or resolved elsewhere); nothing reported')
        else:
            if self.abort_reason == 'worker-shutdown':
                outcome = ('exception', 'worker-shutdown')
            self.upload_logs(payload)
            self.resolve(outcome)
        self.log.file.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        os.remove(self.log.path)

    def check_payload(self, payload):
        """What the schema cannot say: features this worker lacks, OS groups, artifact expiry."""
        for feature in NOT_ENABLED:
            if payload.get('features', {}).get(feature):
                self.log.error(f'this task is attempting to use feature "{feature}", '
                               "but it's not enabled on this worker")
                return ('exception', 'malformed-payload')
        own = {g.gr_name for g in grp.getgrall() if g.gr_gid in os.getgroups()}
        for group in payload.get('osGroups', []):
            if group not in own:
                self.log.error(f'osGroups: this worker runs tasks as its own user, which is not in group {group!r}')
                return ('exception', 'malformed-payload')
        deadline, expires = self.task['deadline'], self.task['expires']
        for a in payload.get('artifacts', []):
            when = parse_time(a.get('expires', expires))
            if when < parse_time(deadline) - 1 or when > parse_time(expires) + 1:
                self.log.error(f"malformed payload: artifact {a['path']!r} expires "
                               f"{'before task deadline' if when < parse_time(deadline) else 'after task expiry'} "
                               f"({a['expires']}; deadline {deadline}, expiry {expires})")
                return ('exception', 'malformed-payload')
        return None

    def task_env(self, payload):
        env = {k: v for k, v in os.environ.items()
               if k not in ('TASKCLUSTER_CLIENT_ID', 'TASKCLUSTER_ACCESS_TOKEN', 'TASKCLUSTER_CERTIFICATE')}
        env.update(payload.get('env', {}))
        env.update(TASK_ID=self.task_id, RUN_ID=str(self.run_id), TASK_WORKDIR=self.dir,
                   TASK_GROUP_ID=self.task['taskGroupId'], TASKCLUSTER_ROOT_URL=self.cfg['rootURL'])
        if self.cfg['instanceType']:
            env['TASKCLUSTER_INSTANCE_TYPE'] = self.cfg['instanceType']
        return env

    def run_commands(self, payload):
        """Commands in order, each an argv without a shell; the first non-zero exit stops the task."""
        env, retry = self.task_env(payload), payload.get('onExitStatus', {}).get('retry', [])
        deadline = time.monotonic() + payload['maxRunTime']
        for i, argv in enumerate(payload['command']):
            if self.abort_reason:
                return ('exception', self.abort_reason)
            self.log.info(f'Executing command {i}: {shlex.join(argv)}')
            started, timed_out = time.monotonic(), False
            try:  # a session of its own, so an abort can kill the command's whole process group
                self.proc = subprocess.Popen(argv, cwd=self.dir, env=env, stdin=subprocess.DEVNULL,
                                             stdout=self.log.file, stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as e:
                self.log.error(f'System error executing command: {e}')
                return ('failed', 'failed')
            while self.proc.poll() is None:
                if time.monotonic() > deadline and not timed_out:
                    timed_out = True
                    self.log.error(f"Aborting task - max run time exceeded ({payload['maxRunTime']}s)")
                    self.kill()
                try:
                    self.proc.wait(0.2)
                except subprocess.TimeoutExpired:
                    pass
            wall, code = duration(time.monotonic() - started), self.proc.returncode
            if timed_out or self.abort_reason:
                self.log.info(f'Command ABORTED after {wall}')
                return ('failed', 'failed') if timed_out else ('exception', self.abort_reason)
            result = 'SUCCEEDED' if code == 0 else 'FAILED'
            self.log.info(f'   Exit Code: {code}\n   Wall Time: {wall}\n      Result: {result}')
            if code in retry:
                self.log.error(f'task appears to have failed intermittently - exit code {code} is in '
                               'payload.onExitStatus.retry')
                return ('exception', 'intermittent-task')
            if code != 0:
                self.log.error(f'exit status {code}')
                return ('failed', 'failed')
        return None

    def create_artifact(self, name, body):
        return self.queue.call('POST', self.path(f'/artifacts/{q(name)}'), body)

    def upload_artifacts(self, payload):
        """Each payload artifact as an s3 artifact (or an error artifact); returns the first problem."""
        problem = None
        reserved = log_names(payload)
        for a in payload.get('artifacts', []):
            name, expires = a.get('name', a['path']), a.get('expires', self.task['expires'])
            if name in reserved:
                self.log.warn(f'Not uploading artifact {name} found in task.payload.artifacts section, '
                              'since this will be uploaded later by the worker')
                continue
            try:
                try:
                    files = self.artifact_files(a, name)
                except ArtifactProblem as p:
                    log = self.log.warn if a.get('optional') else self.log.error
                    log(f'Artifact {name} not uploaded: {p.reason}: {p}')
                    self.create_artifact(name, {'storageType': 'error', 'reason': p.reason,
                                                'message': str(p)[:4096], 'expires': expires})
                    problem = problem or (None if a.get('optional') else ('failed', 'failed'))
                    continue
                for file_name, path in files:
                    encoding = a.get('contentEncoding') or (
                        'identity' if os.path.splitext(path)[1].lower() in ALREADY_COMPRESSED else 'gzip')
                    self.log.info(f'Uploading artifact {file_name} from {path} ({encoding})')
                    self.upload_file(file_name, path, a.get('contentType') or content_type(path), expires, encoding)
            except ApiError as e:
                self.log.error(f'Could not upload artifact {name}: {e}')
                if e.status == 409:  # a different artifact of that name exists: the payload contradicts itself
                    problem = problem or ('exception', 'malformed-payload')
                elif e.status is None or e.status >= 500:
                    problem = problem or ('exception', 'resource-unavailable')
                else:
                    problem = problem or ('exception', 'internal-error')
        return problem

    def inside(self, real_path):
        return os.path.commonpath([real_path, self.real_dir]) == self.real_dir

    def artifact_files(self, a, name):
        """(artifact name, real path) pairs; only paths that stay inside the task directory are read."""
        path = os.path.join(self.dir, a['path'])
        real = os.path.realpath(path)
        if not self.inside(real):
            raise ArtifactProblem('invalid-resource-on-worker', f'{path} is outside the task directory; not read')
        if not os.path.exists(real):
            raise ArtifactProblem('file-missing-on-worker', f'Could not read {a["type"]} {path}')
        if a['type'] == 'file':
            if not os.path.isfile(real):
                raise ArtifactProblem('invalid-resource-on-worker', f'File artifact {path} is not a regular file')
            return [(name, real)]
        if not os.path.isdir(real):
            raise ArtifactProblem('invalid-resource-on-worker', f'Directory artifact {path} is not a directory')
        files = []
        for root, dirs, names in os.walk(real):  # does not follow symlinked directories
            for n in sorted(names):
                rel = os.path.relpath(os.path.join(root, n), real).replace(os.sep, '/')
                p = os.path.realpath(os.path.join(root, n))
                if os.path.isfile(p) and self.inside(p):
                    files.append((f'{name}/{rel}', p))
        return files

    def upload_file(self, name, path, ctype, expires, encoding):
        """createArtifact (s3), then PUT the bytes to its putUrl; a fresh putUrl for each attempt."""
        with open(path, 'rb') as body, tempfile.TemporaryFile() as gz:
            if encoding == 'gzip':  # compressed to a file first: the PUT needs a Content-Length
                with gzip.GzipFile(fileobj=gz, mode='wb', mtime=0) as out:
                    shutil.copyfileobj(body, out)
                body = gz
            size = body.seek(0, os.SEEK_END)
            for attempt in range(1, 6):
                res = self.create_artifact(name, {'storageType': 's3', 'contentType': ctype,
                                                  'expires': expires, 'contentLength': size})
                body.seek(0)
                put = urllib.request.Request(res['putUrl'], data=body, method='PUT', headers={
                    'Content-Type': ctype, 'Content-Length': str(size), 'Content-Encoding': encoding})
                try:
                    return urllib.request.urlopen(put, timeout=600).close()
                except OSError as e:
                    if attempt == 5:
                        raise ApiError(getattr(e, 'code', None), f'PUT {name}: {e}')
                    backoff(attempt)

    def upload_logs(self, payload):
        """The live log's final pointer, then the backing log, last before the resolution."""
        features, (live, backing) = payload.get('features', {}), log_names(payload)
        if features.get('backingLog', True) is False:
            return
        try:
            if features.get('liveLog', True):
                self.create_artifact(live, {'storageType': 'link', 'artifact': backing,
                                            'contentType': 'text/plain; charset=utf-8', 'expires': self.task['expires']})
            self.upload_file(backing, self.log.path, 'text/plain; charset=utf-8', self.task['expires'], 'gzip')
        except ApiError as e:
            say(f'{self.task_id}/{self.run_id}: could not publish the task log: {e}')

    def resolve(self, outcome):
        state, reason = outcome or ('completed', 'completed')
        try:
            if state == 'exception':
                self.queue.call('POST', self.path('/exception'), {'reason': reason})
            else:
                self.queue.call('POST', self.path(f'/{state}'))
            say(f'{self.task_id}/{self.run_id}: resolved {state}/{reason}')
        except ApiError as e:  # e.g. 409: cancelled since the last reclaim
            say(f'{self.task_id}/{self.run_id}: not resolved: {e}')


def log_names(payload):
    logs = payload.get('logs', {})
    return logs.get('live', 'public/logs/live.log'), logs.get('backing', 'public/logs/live_backing.log')


# ---- The worker: claim one task at a time until numberOfTasksToRun, idleTimeoutSecs or a signal.
class Worker:
    def __init__(self, cfg):
        self.cfg, self.stop, self.run = cfg, None, None
        self.queue = Queue(cfg['rootURL'], {'clientId': cfg['clientId'], 'accessToken': cfg['accessToken']})

    def on_signal(self, signum, _frame):
        self.stop = self.stop or signum
        say(f'{signal.Signals(signum).name} received')
        if signum == signal.SIGTERM and self.run:
            self.run.abort('worker-shutdown')  # SIGINT lets the running task finish

    def serve(self):
        try:
            os.makedirs(self.cfg['tasksDir'], exist_ok=True)
        except OSError as e:
            raise ExitError(69, f'cannot create tasksDir: {e}')
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGTERM, self.on_signal)
        ran, idle_since, pause = 0, time.monotonic(), 0
        path = f"/claim-work/{q(self.cfg['provisionerId'])}/{q(self.cfg['workerType'])}"
        while True:
            if self.stop:
                raise ExitError(71 if self.stop == signal.SIGINT else 72, 'stopped by a signal')
            if self.cfg['numberOfTasksToRun'] and ran >= self.cfg['numberOfTasksToRun']:
                raise ExitError(0, f'ran {ran} task(s)')
            if self.cfg['idleTimeoutSecs'] and time.monotonic() - idle_since >= self.cfg['idleTimeoutSecs']:
                raise ExitError(68, f"no task claimed for {self.cfg['idleTimeoutSecs']}s")
            time.sleep(pause)  # never a busy loop: a pause after an empty answer or an error
            try:
                claims = self.queue.call('POST', path, {'workerGroup': self.cfg['workerGroup'],
                                                        'workerId': self.cfg['workerId'], 'tasks': 1})['tasks']
            except ApiError as e:
                say(f'claimWork failed: {e}')
                pause = 5
                continue
            pause = 0 if claims else 1
            for claim in claims:
                say(f"claimed {claim['status']['taskId']}/{claim['runId']}")
                self.run = Run(self.cfg, claim, self.stop == signal.SIGTERM)
                self.run.execute()
                self.run, ran, idle_since = None, ran + 1, time.monotonic()


def main(argv):
    parser = argparse.ArgumentParser(prog='worker.py', description='A small Taskcluster worker (generic-worker dialect).',
                                     epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--version', action='version', version=f'tc-python-worker {VERSION}')
    targets = parser.add_subparsers(dest='target', required=True)
    targets.add_parser('run', help='claim and run tasks').add_argument('--config', required=True)
    targets.add_parser('show-payload-schema', help='print the payload JSON schema')
    args = parser.parse_args(argv)
    if args.target == 'show-payload-schema':
        print(json.dumps(PAYLOAD_SCHEMA, indent=2))
        return 0
    try:
        Worker(load_config(args.config)).serve()
    except ExitError as e:
        say(f'exit {e.code}: {e}')
        return e.code
    except Exception as e:
        say(f'exit 69: internal error: {e!r}')
        return 69


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
