# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running small playbooks against the local cloud, with the front proxy's fault rules, and reading what happened."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
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

from localcloud import faults  # noqa: E402  (the local cloud's package is beside the collection, not installed)

MUTATING_METHODS = ('POST', 'PUT', 'PATCH', 'DELETE')
# Services the front proxy serves; the cloud's own backends listen on the same port + 1000.
BACKEND_OFFSET = 1000
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
    """Writes a playbook into a work directory and runs it with the tools virtualenv's ansible-playbook."""

    def __init__(self, workdir, environment, collections_path):
        self.workdir = workdir
        self.environment = environment
        self.collections_path = collections_path
        self.count = 0

    def run(self, tasks, extra_vars=None, verbosity=0, play_vars=None, timeout=600):
        self.count += 1
        base = os.path.join(self.workdir, 'play-%02d' % self.count)
        playbook = base + '.yml'
        results = base + '-results.json'
        play = {'name': 'resilience', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}
        if play_vars:
            play['vars'] = play_vars
        with open(playbook, 'w') as handle:
            yaml.safe_dump([play], handle, sort_keys=False)
        variables = dict(extra_vars or {}, ansible_python_interpreter=sys.executable)
        with open(base + '-vars.json', 'w') as handle:
            json.dump(variables, handle)
        env = dict(os.environ, **self.environment)
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
    """Fault rules applied for a with block; rules named so that the request log shows which one hit what.

    add(rules) replaces the active rules (set_faults restarts the counters, so only rules that have not done
    their work yet belong in a later call). The rules are always cleared at the end.
    """

    def __init__(self, case_id, rules=()):
        self.case_id = case_id
        self.rules = []
        self.offset = None
        self._initial = list(rules)

    def _named(self, rules):
        named = []
        for index, rule in enumerate(rules):
            rule = dict(rule)
            rule.setdefault('name', '%s-%d-%s' % (self.case_id, len(self.rules) + index, rule['action']))
            named.append(rule)
        return named

    def set(self, rules):
        self.rules = self._named(rules)
        faults.set_faults(self.rules)

    def __enter__(self):
        self.offset = faults.log_position()
        self.set(self._initial)
        return self

    def __exit__(self, *exc_info):
        faults.clear_faults()
        return False

    def requests(self):
        return faults.read_requests(offset=self.offset)

    def hits(self):
        """The logged requests a rule of this window applied to."""
        names = set(rule['name'] for rule in self.rules)
        return [record for record in self.requests() if record.get('rule') in names
                or str(record.get('rule', '')).startswith(self.case_id + '-')]


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

    def __init__(self):
        self.rows = []

    def add(self, case_id, module, path, fault, outcome, seconds=None):
        self.rows.append(dict(case=case_id, module=module, path=path, fault=fault, outcome=outcome,
                              seconds=seconds))

    def markdown(self, bad_inputs=None):
        lines = [
            '# Resilience: faults and bad inputs',
            '',
            'Written by the resilience suite (`tests/resilience`, `make resilience`) from its last run against',
            'the local cloud; `make resilience RESILIENCE_REPORT=docs/resilience.md` writes it again.',
            'The front proxy of the local cloud injects each fault into the real API traffic of a module run;',
            'every case then checks the resources in the cloud (exactly the ones asked for: no duplicate,',
            'nothing missing) and the proxy\'s request log (the fault really hit the module\'s request).',
            '',
            '## Fault cases',
            '',
            '| Case | Module | Path | Fault injected | Outcome |',
            '| --- | --- | --- | --- | --- |',
        ]
        for row in sorted(self.rows, key=lambda row: row['case']):
            lines.append('| %s | %s | %s | %s | %s |' % (
                row['case'], row['module'], row['path'], row['fault'], row['outcome']))
        if bad_inputs is not None:
            lines += ['', '## Bad inputs', '',
                      'Each fails before any change: the proxy log shows no POST, PUT, PATCH or DELETE',
                      '(token requests aside) from the run of all cases.', '',
                      '| Case | Module or role | Message |', '| --- | --- | --- |']
            for case in bad_inputs:
                lines.append('| %s | %s | %s |' % (case['id'], case['target'],
                                                    case.get('msg', '').replace('|', '\\|').replace('\n', ' ')))
        return '\n'.join(lines) + '\n'
