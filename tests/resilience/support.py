# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running small playbooks against the local cloud, with the front proxy's fault rules, and reading what happened."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
LOCALCLOUD = os.path.join(REPO, 'tests', 'localcloud')
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, LOCALCLOUD)

# The local cloud's package is beside the collection, not installed.
from localcloud import config as localcloud_config  # noqa: E402
from localcloud import faults  # noqa: E402
from localcloud.seed import CATALOG  # noqa: E402

MUTATING_METHODS = ('POST', 'PUT', 'PATCH', 'DELETE')
# Services the front proxy serves; the cloud's own backends listen on the same port + 1000.
BACKEND_OFFSET = localcloud_config.BACKEND_OFFSET
# The suites' own proxies: one port per service from the first block of these that is free.
PROXY_PORTS = range(30000, 30100)
PROXY_CLOUD = 'resilience'
IMAGE = 'fedora-coreos-40'
FLAVOR = 'm1.small'
KEYPAIR = 'default'
EXTERNAL_NETWORK = 'public'


def cloud_environment():
    """OS_CLIENT_CONFIG_FILE, OS_CLOUD and LOCALCLOUD_HOME as `localcloud env` prints them (unless already set)."""
    if os.environ.get('OS_CLIENT_CONFIG_FILE') and os.environ.get('LOCALCLOUD_HOME'):
        return {name: os.environ[name] for name in ('OS_CLIENT_CONFIG_FILE', 'OS_CLOUD', 'LOCALCLOUD_HOME')
                if name in os.environ}
    output = subprocess.run([os.path.join(LOCALCLOUD, 'bin', 'localcloud'), 'env'], check=True,
                            stdout=subprocess.PIPE, universal_newlines=True).stdout
    found = {}
    for line in output.splitlines():
        if line.startswith('export '):
            name, _, value = line[len('export '):].partition('=')
            found[name] = value.strip().strip('"\'')
    return found


def unique(prefix):
    return 'res-%s-%s' % (prefix, uuid.uuid4().hex[:6])


def cloud_config(environment):
    with open(environment['OS_CLIENT_CONFIG_FILE']) as handle:
        clouds = yaml.safe_load(handle)['clouds']
    return clouds[environment.get('OS_CLOUD') or sorted(clouds)[0]]


def backdoor_connection(environment):
    """A connection straight to the services' backends: the test's own reads neither go through the proxy's
    fault rules nor appear in its request log."""
    import openstack
    config = cloud_config(environment)
    auth = dict(config['auth'])
    auth['auth_url'] = _backend_url(auth['auth_url'])
    return openstack.connect(auth=auth, region_name=config.get('region_name'), interface='internal',
                             identity_api_version='3')


def _backend_url(url):
    scheme, _, rest = url.partition('://')
    host_port, slash, path = rest.partition('/')
    host, _, port = host_port.partition(':')
    return '%s://%s:%d%s%s' % (scheme, host, int(port) + BACKEND_OFFSET, slash, path)


class ProxyProcess:
    """A process of the local cloud's proxy program run by the suites: its fault rules (`rules_path`), its request
    log (`log_path`), and `process`."""

    def __init__(self, workdir):
        self.rules_path = os.path.join(workdir, 'faults.json')
        self.log_path = os.path.join(workdir, 'requests.jsonl')
        faults.clear_faults(self.rules_path)

    def set_faults(self, rules, magnum_max_version=None):
        faults.set_faults(self.rules_path, rules, magnum_max_version=magnum_max_version)

    def clear_faults(self):
        faults.clear_faults(self.rules_path)

    def log_position(self):
        return faults.log_position(self.log_path)

    def requests(self, offset=0):
        return faults.read_requests(self.log_path, offset=offset)

    def stop(self):
        _stop(self.process)


class Proxies(ProxyProcess):
    """The suites' own front proxies, one per service, with their own fault rules and request log.

    The shared proxy's rules and log are global to every user of the local cloud: faults set there would hit the
    other suites running on it, and their requests would count here. The playbooks reach the cloud through these
    instead (a clouds.yaml whose auth_url and endpoint overrides name them); the tests' own reads use the backends.
    """

    # Magnum's proxy runs as a process of its own, so that its endpoint alone can go down (refuse connections).
    # Both processes read the same rules and write the same log; a rule's count and a token an expire_token rule
    # expired are each process's own, so such rules name their service.
    SEPARATE = ('magnum',)

    def __init__(self, workdir, environment, project_id):
        super(Proxies, self).__init__(workdir)
        self.workdir = workdir
        self.services = [service for _type, service, _path in CATALOG]
        self.processes, self.ports = self._start(workdir)
        self.clouds_file = self._write_clouds(workdir, environment, project_id)
        self.environment = dict(environment, OS_CLIENT_CONFIG_FILE=self.clouds_file, OS_CLOUD=PROXY_CLOUD)

    def _groups(self):
        """The services of each proxy process."""
        services = list(dict.fromkeys(self.services))  # one route per service (cinder has two catalog types)
        separate = [[service] for service in self.SEPARATE if service in services]
        return separate + [[service for service in services if service not in self.SEPARATE]]

    def _start(self, workdir):
        """The proxy processes on the first block of free ports; a block taken by another run is skipped."""
        width = len(self.services)
        for base in range(PROXY_PORTS.start, PROXY_PORTS.stop - width + 1, 10):
            ports = dict((service, base + index) for index, service in enumerate(self.services))
            if not all(_port_free(port) for port in ports.values()):
                continue
            processes = {}
            for group in self._groups():
                process = self._start_group(group, ports)
                for service in group:
                    processes[service] = process
            if all(_listening(process, [ports[service]]) for service, process in processes.items()):
                return processes, ports
            for process in set(processes.values()):
                _stop(process)
        raise RuntimeError('no free block of %d ports in %d-%d for the resilience proxies'
                           % (width, PROXY_PORTS.start, PROXY_PORTS.stop - 1))

    def _start_group(self, group, ports, with_parent=True):
        """with_parent=False for a start from another thread than the main one: the parent-death signal follows
        the thread that started the child, so the end of that thread would stop the proxy (stop() still does)."""
        command = [sys.executable, '-m', 'localcloud.proxy', '--log', self.log_path, '--faults', self.rules_path]
        for service in group:
            command += ['--route', '%s=%d:%d' % (service, ports[service], localcloud_config.backend_port(service))]
        with open(os.path.join(self.workdir, 'proxy.log'), 'ab') as errors:
            return subprocess.Popen(command, cwd=LOCALCLOUD, stdout=subprocess.DEVNULL, stderr=errors,
                                    preexec_fn=_stop_with_parent if with_parent else None)

    def stop_service(self, service):
        """Stop the proxy of a service started on its own (SEPARATE): its endpoint refuses connections, as the
        endpoint of a service that is down does."""
        assert service in self.SEPARATE, '%s shares its proxy process with other services' % service
        _stop(self.processes[service])

    def start_service(self, service):
        process = self._start_group([service], self.ports, with_parent=threading.current_thread() is
                                    threading.main_thread())
        self.processes[service] = process
        if not _listening(process, [self.ports[service]]):
            raise RuntimeError('the %s proxy did not start again on port %d' % (service, self.ports[service]))

    def _write_clouds(self, workdir, environment, project_id):
        entry = dict(cloud_config(environment))
        entry['auth'] = dict(entry['auth'], auth_url='http://127.0.0.1:%d/v3' % self.ports['keystone'])
        # The catalog names the shared proxy's ports: every service is pointed at these instead.
        for service_type, service, path in CATALOG:
            entry['%s_endpoint_override' % service_type.replace('-', '_')] = 'http://127.0.0.1:%d%s' % (
                self.ports[service], path % {'tenant_id': project_id, 'project_id': project_id})
        path = os.path.join(workdir, 'clouds.yaml')
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, 'w') as handle:
            yaml.safe_dump({'clouds': {PROXY_CLOUD: entry}}, handle)
        return path

    def stop(self):
        for process in set(self.processes.values()):
            _stop(process)


def _port_free(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def _listening(process, ports, timeout=20):
    deadline = time.monotonic() + timeout
    waiting = set(ports)
    while waiting and process.poll() is None and time.monotonic() < deadline:
        for port in list(waiting):
            with socket.socket() as sock:
                if sock.connect_ex(('127.0.0.1', port)) == 0:
                    waiting.discard(port)
        time.sleep(0.1)
    return not waiting and process.poll() is None


def _stop_with_parent():
    """In the child: end with SIGTERM when the test run dies, so no proxy outlives it holding its ports."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)
    except (AttributeError, OSError):
        pass


def _stop(process):
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class PlaybookRun:
    """The outcome of one ansible-playbook run: return code, output, and each task's result by name."""

    def __init__(self, returncode, output, records, seconds):
        self.returncode = returncode
        self.output = output
        self.records = records
        self.seconds = seconds

    def task(self, name):
        found = [record for record in self.records if record['task'] == name]
        assert found, 'task %r did not run; output:\n%s' % (name, self.output[-4000:])
        return found[-1]

    def result(self, name):
        return self.task(name)['result']

    def failed(self, name):
        return self.task(name)['outcome'] == 'failed'


class Runner:
    """Writes a playbook into a work directory and runs it with the tools virtualenv's ansible-playbook.

    Given the suites' proxies, its playbooks reach the cloud through them.
    """

    def __init__(self, workdir, environment, collections_path, proxies=None):
        self.workdir = workdir
        self.proxies = proxies
        self.environment = dict(environment, **proxies.environment) if proxies else environment
        self.collections_path = collections_path
        self.count = 0

    def run(self, tasks, extra_vars=None, verbosity=0, timeout=600):
        play = {'name': 'resilience', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}
        return self.run_play([play], extra_vars=extra_vars, verbosity=verbosity, timeout=timeout)

    def run_play(self, plays, extra_vars=None, verbosity=0, timeout=600, drop_environment=(), wrapper=None,
                 environment=None):
        """wrapper(command) may run the command another way (see SyslogCapture.wrap); environment adds variables."""
        self.count += 1
        base = os.path.join(self.workdir, 'play-%02d' % self.count)
        playbook = base + '.yml'
        results = base + '-results.json'
        with open(playbook, 'w') as handle:
            yaml.safe_dump(plays, handle, sort_keys=False)
        variables = dict(extra_vars or {}, ansible_python_interpreter=sys.executable)
        with open(base + '-vars.json', 'w') as handle:
            json.dump(variables, handle)
        env = dict(os.environ, **self.environment)
        for name in drop_environment:
            env.pop(name, None)
        env.update(environment or {})
        env.update(
            ANSIBLE_COLLECTIONS_PATH=self.collections_path,
            ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, 'callback_plugins'),
            ANSIBLE_CALLBACKS_ENABLED='task_results',
            ANSIBLE_NOCOLOR='1',
            ANSIBLE_FORCE_COLOR='0',
            ANSIBLE_RETRY_FILES_ENABLED='0',
            ANSIBLE_LOCALHOST_WARNING='0',
            ANSIBLE_INVENTORY_UNPARSED_WARNING='0',
            RESILIENCE_TASK_RESULTS=results,
        )
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
                   '-c', 'local', playbook, '-e', '@' + base + '-vars.json']
        if verbosity:
            command.append('-' + 'v' * verbosity)
        if wrapper:
            command = wrapper(command)
        started = time.monotonic()
        completed = subprocess.run(command, env=env, cwd=self.workdir, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, universal_newlines=True, timeout=timeout)
        seconds = time.monotonic() - started
        records = []
        if os.path.exists(results):
            with open(results) as handle:
                records = json.load(handle)
        return PlaybookRun(completed.returncode, completed.stdout, records, seconds)


class FaultWindow:
    """Fault rules of the suites' own proxies applied for a with block, named so that the request log shows which
    one hit what; requests() and hits() read the log from the start of the block.

    set(rules) replaces the active rules (the proxy restarts their counters, so only rules that have not done
    their work yet belong in a later call). The rules are always cleared at the end.
    """

    def __init__(self, proxies, case_id, rules=(), magnum_max_version=None):
        self.proxies = proxies
        self.case_id = case_id
        self.magnum_max_version = magnum_max_version
        self.rules = []
        self.offset = None
        self._initial = list(rules)
        self._count = 0

    def _named(self, rules):
        named = []
        for rule in rules:
            rule = dict(rule)
            rule.setdefault('name', '%s-%d-%s' % (self.case_id, self._count, rule['action']))
            self._count += 1
            named.append(rule)
        return named

    def set(self, rules):
        self.rules = self._named(rules)
        self.proxies.set_faults(self.rules, self.magnum_max_version)

    def __enter__(self):
        self.offset = self.proxies.log_position()
        self.set(self._initial)
        return self

    def __exit__(self, *exc_info):
        self.proxies.clear_faults()
        return False

    def requests(self):
        return self.proxies.requests(offset=self.offset)

    def hits(self):
        """The logged requests a rule of this window applied to."""
        return [record for record in self.requests() if str(record.get('rule', '')).startswith(self.case_id + '-')]


def mutating(records):
    """Requests that change something in the cloud (a token request changes nothing)."""
    return [record for record in records if record['method'] in MUTATING_METHODS
            and not record['path'].startswith('/v3/auth/tokens')]


class Watch(threading.Thread):
    """Runs `step()` every `interval` seconds in the background until it returns True or stop() is called."""

    def __init__(self, step, interval=0.5):
        super(Watch, self).__init__(daemon=True)
        self._step = step
        self._interval = interval
        self._stopped = threading.Event()
        self.error = None

    def run(self):
        while not self._stopped.is_set():
            try:
                if self._step():
                    return
            except Exception as exc:  # the test reports it after the playbook
                self.error = exc
                return
            self._stopped.wait(self._interval)

    def stop(self):
        self._stopped.set()
        self.join(30)


class Report:
    """The fault cases and their outcomes, written as docs/resilience.md when asked for."""

    def __init__(self, started, load_at_start):
        self.rows = []
        self.secrets = []
        self.secret_places = ''

        self.started = started
        self.load_at_start = load_at_start

    def add(self, case_id, module, path, fault, outcome, seconds=None):
        self.rows.append(dict(case=case_id, module=module, path=path, fault=fault, outcome=outcome,
                              seconds=seconds))

    def run_line(self):
        """When and on what the run happened: the cloud's speed, and so the cases' times, depend on the load."""
        minutes, seconds = divmod(int(round(time.time() - self.started)), 60)
        return ('Last run: %s, %d CPUs, load average %.1f at the start and %.1f at the end; the suites took '
                '%d min %02d s.' % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(self.started)), os.cpu_count(),
                                    self.load_at_start, os.getloadavg()[0], minutes, seconds))

    def markdown(self, bad_inputs=None):
        lines = [
            '# Resilience: faults and bad inputs',
            '',
            'Written by the resilience suites (`tests/resilience`, `make resilience`) from their last run against',
            'the local cloud; `make resilience RESILIENCE_REPORT=docs/resilience.md` writes it again.',
            'The playbooks reach the cloud through proxies of the suites\' own (the local cloud\'s proxy program),',
            'which inject each fault into the real API traffic of a module run and log every request; every case',
            'then checks the resources in the cloud (exactly the ones asked for: no duplicate, nothing missing)',
            'and the request log (the fault really hit the module\'s request).',
            '',
            self.run_line(),
            '',
            '## Fault cases',
            '',
            '| Case | Module | Path | Fault injected | Outcome | Seconds |',
            '| --- | --- | --- | --- | --- | --- |',
        ]
        for row in sorted(self.rows, key=lambda row: _case_order(row['case'])):
            lines.append('| %s | %s | %s | %s | %s | %s |' % (
                row['case'], row['module'], row['path'], row['fault'], row['outcome'].replace('|', '\\|'),
                '' if row['seconds'] is None else '%.0f' % row['seconds']))
        lines += ['', 'Seconds: the faulted run and, after a failure, the re-run without faults.', '',
                  'F cases pause the real magnum-conductor (SIGSTOP, then SIGCONT) right as the answer to the '
                  'cluster POST is lost, so the cluster\'s row appears only when it resumes; their outcome names the '
                  'first run and the re-run separately, and each ends with one create request in the log and one '
                  'cluster. F4 (5 minutes) and F6 (wait: false through a 3-minute pause, the re-run during it) '
                  'run with `make faults` only. F5 kills the paused conductor and starts '
                  'it again with the local cloud\'s service control while the create waits in its queue. N1 gives '
                  'every Magnum module names that a careless URL turns into an existing template\'s and '
                  'cluster\'s.', '',
                  'G cases: the proxy forwards the write, the service accepts it (the log shows its 2xx), and the '
                  'client gets 502, 503 or 504 instead, as from a load balancer that gave up waiting (or no answer: '
                  '-lost). One playbook per write gives each fault to one task; its rows share the playbook\'s '
                  'seconds and the number of writes sent in all (one per task: none sent twice). A task that '
                  'needed the re-run says so. `make test` gives each cluster write one or two of these faults, the '
                  'statuses taking turns; `make faults` gives every cluster write all of them. M1 (the Magnum '
                  'endpoint refusing connections for 20 s, its proxy stopped) and F5 run with `make faults` only.',
                  '',
                  "S cases put the suites' proxy in front of the shared cluster's Kubernetes API emulator "
                  "(`support.KubeProxy`: the local cloud's proxy program serving HTTPS with a certificate of the "
                  "test's own CA, and reaching the emulator over HTTPS with the client certificate of the "
                  'kubeconfig magnum_cluster_config wrote); coe_storage and the storage_class role get a '
                  'kubeconfig that points at the proxy, so each fault hits the real HTTP request. Each case checks '
                  'the cluster afterwards (the StorageClass, the namespace and the claim asked for, the claim '
                  "Bound to exactly one volume, and exactly one accepted POST per object in the proxy's log), then "
                  'runs again without faults; the outcome names both runs, and its seconds count both. A create '
                  'after a 5xx, a reset or a lost answer looks the object up by name before sending it again (a '
                  'second POST of a name can only be refused, never duplicate it); a PATCH or DELETE whose outcome '
                  'is unknown is confirmed by reading the object and never sent twice. The claim-bound wait reads '
                  'the claim with GET until it is Bound (no watch): S3 (through the storage_class role) cuts, '
                  'refuses and loses those reads. N2 gives coe_storage StorageClass, claim and namespace names '
                  'that differ from existing objects by URL-significant characters: none is a valid Kubernetes '
                  "name, so each is refused before the first request, naming its parameter; the proxy's log stays "
                  'empty.']
        if bad_inputs is not None:
            own = len([case for case in bad_inputs if not case.get('core')])
            lines += ['', '## Bad inputs', '',
                      'Each fails with a message naming the parameter, before any change: for each case, neither',
                      'the OpenStack proxies\' request log nor the request log of the cluster\'s Kubernetes API',
                      'emulator shows a POST, PUT, PATCH or DELETE (token requests aside) between the previous',
                      'case\'s result and its own. %d cases; %d exercise the collection\'s own checks, the' % (
                          len(bad_inputs), own),
                      'others (marked core) ansible-core\'s type, choice and required checks.', '',
                      '| Case | Module or role | Message |', '| --- | --- | --- |']
            for case in bad_inputs:
                lines.append('| %s%s | %s | %s |' % (case['id'], ' (core)' if case.get('core') else '', case['target'],
                                                      case.get('msg', '').replace('|', '\\|').replace('\n', ' ')))
        if self.secrets:
            lines += ['', '## Secrets', '',
                      'One playbook passes a secret in every way the documentation allows; it runs through',
                      'ansible-playbook -vvv and through ansible-runner (the job events and artifacts AWX stores),',
                      'with the modules\' syslog captured. Each secret is searched for, as given, base64, any',
                      '16-character piece of it and, for keys, PEM body lines and the PEM-stripped body, in:',
                      '%s.' % self.secret_places,
                      '',
                      '| Secret | How it was given | Found |', '| --- | --- | --- |']
            for row in self.secrets:
                lines.append('| %s | %s | %s |' % (row['what'], row['how'], row['found'] or 'nowhere'))
        return '\n'.join(lines) + '\n'


def _case_order(case_id):
    """C2 before C10: the numbers in a case's id compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', case_id)]


def wait_for(predicate, timeout, interval=1.0, what='the condition'):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %d s waiting for %s' % (timeout, what))
        time.sleep(interval)


def transient_retry(call, attempts=10):
    """The test's own reads, again after Magnum's transient 400 (while any user's cluster row is being removed),
    a 5xx or a dropped connection of a busy cloud."""
    import openstack
    from keystoneauth1 import exceptions as ksa_exceptions
    for attempt in range(attempts):
        try:
            return call()
        except (openstack.exceptions.HttpException, ksa_exceptions.ConnectFailure) as exc:
            status = getattr(exc, 'status_code', None)
            if attempt == attempts - 1 or not (status is None or status == 400 or status >= 500):
                raise
            time.sleep(1)


def find_cluster(cloud, name):
    """The cluster by name (one GET: Magnum resolves names), or None."""
    import openstack

    def get():
        try:
            return cloud.container_infrastructure_management.get_cluster(name)
        except openstack.exceptions.NotFoundException:
            return None
    return transient_retry(get)


def clusters_named(cloud, name):
    return transient_retry(lambda: [c for c in cloud.container_infrastructure_management.clusters() if c.name == name])


def cluster_record(cloud, uuid):
    """The cluster as Magnum's API shows it, every field (openstacksdk's Cluster lacks some, e.g. coe_version)."""
    import openstack

    def read():
        response = cloud.container_infrastructure_management.get('/clusters/%s' % uuid, microversion='1.9')
        if response.status_code >= 400:
            raise openstack.exceptions.HttpException(response=response)
        return response.json()
    return transient_retry(read)


def nodegroups_of(cloud, cluster_uuid):
    """The node groups of a cluster in full (Magnum API 1.9; openstacksdk has no call for them)."""
    management = cloud.container_infrastructure_management

    import openstack

    def read(path):
        response = management.get('/clusters/%s/nodegroups%s' % (cluster_uuid, path), microversion='1.9')
        if response.status_code >= 400:
            raise openstack.exceptions.HttpException(response=response)
        return response.json()

    listed = transient_retry(lambda: read(''))['nodegroups']
    return [transient_retry(lambda path='/' + group['uuid']: read(path)) for group in listed]


def templates_named(cloud, name):
    return [t for t in cloud.container_infrastructure_management.cluster_templates() if t.name == name]


def wait_cluster(cloud, name, statuses=('CREATE_COMPLETE', 'UPDATE_COMPLETE'), timeout=300):
    def settled():
        cluster = find_cluster(cloud, name)
        if cluster is not None and cluster.status.endswith('_FAILED'):
            raise AssertionError('cluster %s is %s: %s' % (name, cluster.status, cluster.status_reason))
        return cluster if cluster is not None and cluster.status in statuses else None
    return wait_for(settled, timeout, what='cluster %s to be one of %s' % (name, ', '.join(statuses)))


def delete_cluster(cloud, name, wait=True):
    cluster = find_cluster(cloud, name)
    if cluster is not None and cluster.status != 'DELETE_IN_PROGRESS':
        cloud.container_infrastructure_management.delete_cluster(cluster, ignore_missing=True)
    if wait:
        wait_for(lambda: find_cluster(cloud, name) is None, 300, what='cluster %s to be deleted' % name)


def delete_template(cloud, name):
    """Delete a template once no cluster uses it any more (cluster deletes finish asynchronously)."""
    def deleted():
        found = templates_named(cloud, name)
        for template in found:
            try:
                cloud.container_infrastructure_management.delete_cluster_template(template, ignore_missing=True)
            except Exception:  # still referenced by a cluster being deleted
                return False
        return True
    wait_for(deleted, 300, interval=3, what='template %s to be deleted' % name)


def template_fields(name, **extra):
    fields = dict(name=name, coe='kubernetes', image_id=IMAGE, external_network_id=EXTERNAL_NETWORK,
                  flavor_id=FLAVOR, master_flavor_id=FLAVOR, keypair_id=KEYPAIR,
                  network_driver='flannel', volume_driver='cinder', dns_nameserver='8.8.8.8',
                  labels={'kube_tag': 'v1.30.4'})
    fields.update(extra)
    return fields


class SharedCluster:
    """A template and a cluster made once per session through the backends; the create is sent at once and
    waited for on first use, so the suites that need no cluster run meanwhile.

    A second cluster of the same template (day2_name) is made the same way for the fault cases that change a
    cluster's node groups and template, which the other suites' cases on the shared cluster must not see.
    """

    def __init__(self, cloud):
        self.cloud = cloud
        self.template_name = unique('tmpl')
        self.name = unique('shared')
        self.day2_name = unique('day2')
        self.template = cloud.container_infrastructure_management.create_cluster_template(
            **template_fields(self.template_name))
        self.clusters = [self.name, self.day2_name]
        for name in self.clusters:
            cloud.container_infrastructure_management.create_cluster(
                name=name, cluster_template_id=self.template.id, master_count=1, node_count=1)
        self._ready = {}

    def ready(self, name=None):
        name = name or self.name
        if name not in self._ready:
            self._ready[name] = wait_cluster(self.cloud, name)
        return self._ready[name]

    def cleanup(self):
        for name in self.clusters:
            delete_cluster(self.cloud, name, wait=False)
        delete_template(self.cloud, self.template_name)


class PausedService:
    """A service of the shared local cloud stopped with SIGSTOP (its whole process group: master and workers), as a
    busy or stuck process looks to its clients, and resumed with SIGCONT after `seconds`, by resume(), or at the
    end of the with block, whichever comes first."""

    def __init__(self, service, seconds):
        from localcloud.config import Paths
        from localcloud.process import State
        running = State(Paths()).running(service)
        assert running is not None, '%s is not running in the local cloud' % service
        self.service = service
        self.pgid = running.pid
        self.seconds = seconds
        self._timer = None
        self._lock = threading.Lock()
        self.paused_at = None
        self.resumed_at = None

    def __enter__(self):
        os.killpg(self.pgid, signal.SIGSTOP)
        self.paused_at = time.monotonic()
        self._timer = threading.Timer(self.seconds, self.resume)
        self._timer.daemon = True
        self._timer.start()
        return self

    def resume(self):
        with self._lock:
            if self.resumed_at is None:
                os.killpg(self.pgid, signal.SIGCONT)
                self.resumed_at = time.monotonic()

    def __exit__(self, *exc_info):
        self._timer.cancel()
        self.resume()
        return False


# Run in a private mount namespace whose /dev is the real one plus a /dev/log of the test's (ansible-core's
# modules log their invocation through syslog(3) to /dev/log when journald's Python bindings are absent, as
# here): the host's /dev is not touched. Needs root (unshare); SyslogCapture.available() says whether it works.
SYSLOG_NAMESPACE_SCRIPT = r'''
set -e
work=$1; shift
mount --make-rprivate /
mkdir -p "$work/dev"
mount -t tmpfs -o mode=755 tmpfs "$work/dev"
for entry in /dev/* /dev/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name=${entry#/dev/}
    if [ -L "$entry" ]; then cp -P "$entry" "$work/dev/$name"
    elif [ -d "$entry" ]; then mkdir "$work/dev/$name"; mount --rbind "$entry" "$work/dev/$name"
    else touch "$work/dev/$name"; mount --bind "$entry" "$work/dev/$name"; fi
done
# A container's /dev/ptmx may belong to another devpts instance than its /dev/pts: use the one of /dev/pts.
if [ -e /dev/pts/ptmx ]; then
    umount "$work/dev/ptmx" 2>/dev/null || true; rm -f "$work/dev/ptmx"; ln -s pts/ptmx "$work/dev/ptmx"
fi
rm -f "$work/dev/log"; touch "$work/dev/log"; mount --bind "$work/log.sock" "$work/dev/log"
mount --rbind "$work/dev" /dev
exec "$@"
'''


class SyslogCapture:
    """A datagram socket standing in for /dev/log for the commands run through wrap(); messages() is all they
    logged, as syslog received it."""

    def __init__(self, workdir):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.path = os.path.join(workdir, 'log.sock')
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        self.socket.settimeout(0.2)
        self.received = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()
        self.script = os.path.join(workdir, 'namespace.sh')
        with open(self.script, 'w') as handle:
            handle.write(SYSLOG_NAMESPACE_SCRIPT)

    @staticmethod
    def available():
        return os.geteuid() == 0 and os.path.exists('/usr/bin/unshare')

    def _listen(self):
        while not self._stopped.is_set():
            try:
                self.received.append(self.socket.recv(1 << 20))
            except socket.timeout:
                continue
            except OSError:
                return

    def wrap(self, command):
        return ['unshare', '--mount', 'sh', self.script, self.workdir] + list(command)

    def messages(self):
        time.sleep(0.5)  # the last datagrams of a run that just ended
        return [item.decode('utf-8', 'replace') for item in self.received]

    def stop(self):
        self._stopped.set()
        self._thread.join(5)
        self.socket.close()


# The suites' proxy in front of a cluster's Kubernetes API: one port from these, above the OpenStack proxies'.
KUBE_PROXY_PORTS = range(30200, 30300)


class KubeProxy(ProxyProcess):
    """The local cloud's proxy program in front of one cluster's Kubernetes API emulator, with its own fault rules
    and request log (the same interface as Proxies, so FaultWindow works with it).

    The emulator serves HTTPS with the cluster's CA and knows its clients by their certificate. The proxy serves
    HTTPS itself, with a certificate of a CA of the test's own, so that it sees each HTTP request and can answer
    5xx or lose an answer; it reaches the emulator over HTTPS with the client certificate of the kubeconfig it is
    given. `kubeconfig` is the kubeconfig the modules get: the same user, the proxy as server, the test's CA.
    The test's own reads and clean-ups (`request`) go straight to the emulator: no fault, no log line.
    """

    def __init__(self, workdir, kubeconfig_path):
        from localcloud.kubeemu import certs
        os.makedirs(workdir, exist_ok=True)
        super(KubeProxy, self).__init__(workdir)
        self.workdir = workdir
        with open(kubeconfig_path) as handle:
            config = yaml.safe_load(handle)
        context = _named(config['contexts'], config['current-context'])['context']
        cluster = _named(config['clusters'], context['cluster'])['cluster']
        user = _named(config['users'], context['user'])['user']
        server = cluster['server']
        self.backend_port = int(server.rsplit(':', 1)[1].split('/')[0])
        files = dict(backend_ca=_decoded(cluster['certificate-authority-data']),
                     client_cert=_decoded(user['client-certificate-data']),
                     client_key=_decoded(user['client-key-data']))
        ca_cert, ca_key = certs.make_ca('resilience-kube-proxy-ca')
        files['tls_cert'], files['tls_key'] = certs.make_server_certificate(ca_cert, ca_key)
        self.files = {}
        for name, content in files.items():
            path = os.path.join(workdir, name + '.pem')
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, 'wb') as handle:
                handle.write(content if isinstance(content, bytes) else content.encode())
            self.files[name] = path
        self.process, self.port = self._start()
        proxied = dict(config)
        proxied['clusters'] = [dict(name=context['cluster'], cluster={
            'server': 'https://127.0.0.1:%d' % self.port,
            'certificate-authority-data': _encoded(ca_cert)})]
        self.kubeconfig = os.path.join(workdir, 'kubeconfig')
        descriptor = os.open(self.kubeconfig, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, 'w') as handle:
            yaml.safe_dump(proxied, handle)

    def _start(self):
        for port in KUBE_PROXY_PORTS:
            if not _port_free(port):
                continue
            command = [sys.executable, '-m', 'localcloud.proxy', '--log', self.log_path, '--faults', self.rules_path,
                       '--route', 'kubernetes=%d:%d' % (port, self.backend_port),
                       '--tls-cert', self.files['tls_cert'], '--tls-key', self.files['tls_key'],
                       '--backend-ca', self.files['backend_ca'], '--backend-cert', self.files['client_cert'],
                       '--backend-key', self.files['client_key']]
            with open(os.path.join(self.workdir, 'proxy.log'), 'ab') as errors:
                process = subprocess.Popen(command, cwd=LOCALCLOUD, stdout=subprocess.DEVNULL, stderr=errors,
                                           preexec_fn=_stop_with_parent)
            if _listening(process, [port]):
                return process, port
            _stop(process)
        raise RuntimeError('no free port in %d-%d for the Kubernetes proxy' % (KUBE_PROXY_PORTS.start,
                                                                              KUBE_PROXY_PORTS.stop - 1))

    def request(self, method, path, body=None):
        """(status, document) of one request straight to the emulator, as the kubeconfig's user."""
        import http.client
        import ssl
        context = ssl.create_default_context(cafile=self.files['backend_ca'])
        context.load_cert_chain(self.files['client_cert'], self.files['client_key'])
        connection = http.client.HTTPSConnection('127.0.0.1', self.backend_port, context=context, timeout=30)
        try:
            payload = None if body is None else json.dumps(body)
            connection.request(method, path, body=payload, headers={'Accept': 'application/json',
                                                                    'Content-Type': 'application/json'})
            response = connection.getresponse()
            text = response.read()
            return response.status, json.loads(text) if text else {}
        finally:
            connection.close()

    def get(self, path):
        """The object at path, or None when there is none."""
        status, document = self.request('GET', path)
        if status == 404:
            return None
        assert status == 200, 'GET %s: %s %s' % (path, status, document)
        return document


def _named(entries, name):
    return [entry for entry in entries if entry['name'] == name][0]


def _decoded(data):
    import base64
    return base64.b64decode(data)


def _encoded(pem):
    import base64
    return base64.b64encode(pem if isinstance(pem, bytes) else pem.encode()).decode('ascii')
