# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No password, token or private key in anything a run writes, for every way the documentation allows a secret in.

The same playbook runs twice, through ansible-playbook -vvv and through ansible-runner as AWX runs a job (whose
job events and artifacts AWX stores). Its tasks pass a secret in each documented way: `auth` (module_defaults of
group/coe.magnum.magnum), a keystone token, `cloud` given as a dict with a password, an application credential
secret or a token, a template `http_proxy` URL with a password, a kubeconfig given inline as text and as a dict
(its client-key-data), `api_key`, a kubeconfig file that is not YAML on the line that holds a token, and a
module failing its argument validation with a `cloud` dict. Both runs happen in a mount namespace whose
/dev/log is the test's socket, so what the modules log to syslog is captured too (journald's bindings are not
installed, so ansible-core logs there). Then every byte written is searched for every secret of the run in the
forms output could take (as given, base64, PEM body lines and the PEM-stripped body): the output, the
runner's artifacts, the syslog messages, and every file under the runs' home directory (file names only for
the auth cache, whose purpose is to keep the token).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import uuid

import pytest
import yaml

import support
from support import templates_named

# Keystone's fernet tokens (the local cloud's kind) are URL-safe base64 that starts with gAAAAA.
FERNET_TOKEN = re.compile(r'gAAAAA[A-Za-z0-9_-]{40,}')
PRIVATE_KEY = re.compile(r'-----BEGIN [A-Z ]*PRIVATE KEY-----')
BIN = os.path.dirname(sys.executable)
MASKED = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
# Tasks whose failure is the point (the secret is in what they reject); every other task must succeed, but for the
# made-up api key, which the emulated API server may or may not check.
EXPECTED_FAILURES = ('broken kubeconfig file', 'bad option beside a cloud dict')
MAY_FAIL = ('api key',)


def _secret(label):
    return '%s-%s' % (label, uuid.uuid4().hex)


def _application_credential(cloud, secret):
    identity = cloud.identity
    return identity.create_application_credential(user=cloud.current_user_id, name=support.unique('appcred'),
                                                  secret=secret)


def _plays(shared, template, auth, config, project_id, appcred, paths):
    """The plays; every secret comes from a variable, as AWX credentials and vaults give them: ansible-core quotes
    the lines of a failing task's source, which would show a secret written into the task itself."""
    region = {'region_name': config.get('region_name'), 'interface': config.get('interface', 'public')}
    keystone = {'auth_url': auth['auth_url']}
    auth = dict(auth, password='{{ secret_password }}')
    token = '{{ secret_token }}'
    secrets = dict(proxy='{{ secret_proxy }}', appcred='{{ secret_appcred }}', api_key='{{ secret_api_key }}')
    inline_auth_tasks = [
        {'name': 'template', 'coe.magnum.magnum_cluster_template': dict(
            name=template, coe='kubernetes', image=support.IMAGE, external_network=support.EXTERNAL_NETWORK,
            flavor=support.FLAVOR, master_flavor=support.FLAVOR, keypair=support.KEYPAIR,
            http_proxy='http://proxyuser:%s@proxy.example:3128' % secrets['proxy'])},
        {'name': 'template info', 'coe.magnum.magnum_cluster_template_info': {'name': template}},
        {'name': 'cluster', 'coe.magnum.magnum_cluster': dict(name=shared.name,
                                                               cluster_template=shared.template_name)},
        {'name': 'cluster info', 'coe.magnum.magnum_cluster_info': {'name': shared.name}},
        {'name': 'config', 'coe.magnum.magnum_cluster_config': dict(cluster=shared.name, dest=paths['dest'],
                                                                     output_certs=True)},
        {'name': 'ports', 'coe.magnum.magnum_cluster_ports': dict(cluster=shared.name, role='worker', rules=[
            dict(protocol='tcp', port=8090, remote_ip_prefix='10.30.0.0/16')])},
        {'name': 'storage', 'coe.magnum.coe_storage': dict(kubeconfig=paths['kubeconfig'],
                                                           storage_class=dict(name='res-secrets'))},
        {'name': 'token auth', 'coe.magnum.magnum_cluster_info': dict(
            name=shared.name, auth_type='token', auth=dict(keystone, token=token, project_id=project_id))},
        {'name': 'ports removed', 'coe.magnum.magnum_cluster_ports': dict(
            cluster=shared.name, role='worker', state='absent',
            rules=[dict(protocol='tcp', port=8090, remote_ip_prefix='10.30.0.0/16')])},
        {'name': 'template removed', 'coe.magnum.magnum_cluster_template': dict(name=template, state='absent')},
    ]
    kubeconfig_text = "{{ lookup('ansible.builtin.file', '%s') }}" % paths['kubeconfig']
    inline_tasks = [
        {'name': 'cloud dict with a password', 'coe.magnum.magnum_cluster_info': dict(
            name=shared.name, cloud=dict(region, auth=auth))},
        {'name': 'cloud dict with an application credential', 'coe.magnum.magnum_cluster_template_info': dict(
            name=shared.template_name, cloud=dict(region, auth_type='v3applicationcredential', auth=dict(
                keystone, application_credential_id=appcred, application_credential_secret=secrets['appcred'])))},
        {'name': 'cloud dict with a token', 'coe.magnum.magnum_cluster_info': dict(
            name=shared.name, cloud=dict(region, auth_type='token',
                                         auth=dict(keystone, token=token, project_id=project_id)))},
        {'name': 'bad option beside a cloud dict', 'coe.magnum.magnum_cluster_info': dict(
            name=shared.name, not_an_option=1, cloud=dict(region, auth=auth)), 'ignore_errors': True},
        {'name': 'inline kubeconfig text', 'coe.magnum.coe_storage': dict(
            kubeconfig=kubeconfig_text, storage_class=dict(name='res-secrets'))},
        {'name': 'inline kubeconfig dict', 'coe.magnum.coe_storage': dict(
            kubeconfig='{{ %s | from_yaml }}' % kubeconfig_text[3:-3], storage_class=dict(name='res-secrets'))},
        {'name': 'api key', 'coe.magnum.coe_storage': dict(
            host=paths['server'], api_key=secrets['api_key'], validate_certs=False,
            storage_class=dict(name='res-secrets')), 'ignore_errors': True},
        {'name': 'broken kubeconfig file', 'coe.magnum.coe_storage': dict(
            kubeconfig=paths['broken'], storage_class=dict(name='res-secrets')), 'ignore_errors': True},
    ]
    variables = {'ansible_python_interpreter': sys.executable, 'ansible_connection': 'local'}
    return [
        {'name': 'every module, with a password given inline', 'hosts': 'localhost', 'gather_facts': False,
         'vars': variables,
         'module_defaults': {'group/coe.magnum.magnum': dict(region, auth=auth, auth_type='password')},
         'tasks': inline_auth_tasks},
        {'name': 'clouds as dicts, kubeconfigs inline, an api key, a broken kubeconfig', 'hosts': 'localhost',
         'gather_facts': False, 'vars': variables, 'tasks': inline_tasks},
    ]


def _broken_kubeconfig(path, secret):
    """A kubeconfig whose YAML breaks on the line of its token: PyYAML's own message would quote that line."""
    with open(path, 'w') as handle:
        handle.write('apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: %s: x\n' % secret)
    os.chmod(path, 0o600)


# A piece of a secret this long counts as the secret: PyYAML, for one, quotes a window of the offending line.
PIECE = 16


def _forms(secret):
    """The ways a secret can show up: as given, base64, any piece of PIECE characters of it (short secrets), and for
    a PEM key its body lines and PEM-stripped body."""
    forms = {secret, base64.b64encode(secret.encode()).decode()}
    if len(secret) <= 256:
        forms.update(secret[start:start + PIECE] for start in range(0, max(1, len(secret) - PIECE + 1)))
    if PRIVATE_KEY.search(secret):
        body = [line for line in secret.splitlines() if line and not line.startswith('-----')]
        forms.add(''.join(body))
        forms.update(line for line in body if len(line) >= 16)
    return forms


def _key_secrets(dest):
    """The private key's PEM text, and its base64 form as the kubeconfig holds it (client-key-data)."""
    with open(os.path.join(dest, 'key.pem')) as handle:
        key_pem = handle.read()
    with open(os.path.join(dest, 'config')) as handle:
        kubeconfig = yaml.safe_load(handle)
    key_data = kubeconfig['users'][0]['user']['client-key-data']
    assert base64.b64decode(key_data).decode() == key_pem, 'the kubeconfig holds another key than key.pem'
    return key_pem, key_data, kubeconfig['clusters'][0]['cluster']['server']


def _runner_job(data_dir, playbook_plays, extravars, environment, wrapper, timeout=900):
    """ansible-runner run of the plays from a private data dir as AWX lays it out; (returncode, output, artifacts)."""
    os.makedirs(os.path.join(data_dir, 'project'))
    os.makedirs(os.path.join(data_dir, 'env'))
    with open(os.path.join(data_dir, 'project', 'secrets.yml'), 'w') as handle:
        yaml.safe_dump(playbook_plays, handle, sort_keys=False)
    with open(os.path.join(data_dir, 'env', 'extravars'), 'w') as handle:
        yaml.safe_dump(extravars, handle)
    with open(os.path.join(data_dir, 'env', 'envvars'), 'w') as handle:
        yaml.safe_dump(environment, handle)
    with open(os.path.join(data_dir, 'env', 'cmdline'), 'w') as handle:
        handle.write('-vvv')
    env = dict(PATH='%s%s/usr/local/bin:/usr/bin:/bin' % (BIN, os.pathsep), HOME=environment['HOME'],
               LANG='C.UTF-8')
    command = wrapper([os.path.join(BIN, 'ansible-runner'), 'run', data_dir, '--playbook', 'secrets.yml',
                       '--ident', 'secrets'])
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=timeout)
    return completed.returncode, completed.stdout, os.path.join(data_dir, 'artifacts', 'secrets')


def _files_under(root, skip=()):
    """(path, bytes) of every regular file under root, except the paths in skip."""
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            if path in skip or not os.path.isfile(path) or os.path.islink(path):
                continue
            with open(path, 'rb') as handle:
                yield path, handle.read()


@pytest.fixture(scope='module')
def secrets_run(shared, cloud, environment, collections_path, tmp_path_factory):
    if not support.SyslogCapture.available():
        pytest.fail('the syslog capture needs root and unshare (util-linux)')
    shared.ready()
    work = str(tmp_path_factory.mktemp('secrets'))
    config = support.cloud_config(environment)
    auth = dict(config['auth'])
    token = cloud.session.get_token()
    project_id = cloud.session.get_project_id()
    secrets = dict(appcred=_secret('appcred'), proxy=_secret('proxypw'), api_key=_secret('apikey'),
                   broken=_secret('brokentoken'))
    appcred = _application_credential(cloud, secrets['appcred'])
    home = os.path.join(work, 'home')
    os.makedirs(home)
    dest = os.path.join(work, 'access', 'kube')
    broken = os.path.join(work, 'broken-kubeconfig')
    _broken_kubeconfig(broken, secrets['broken'])
    template = support.unique('secret-tmpl')
    capture = support.SyslogCapture(os.path.join(work, 'syslog'))
    # The modules find the services in the catalog, so their requests go through the local cloud's own proxy.
    offset = support.faults.log_position()
    # Both runs keep the auth cache in their home directory: its file names are checked too.
    run_environment = {'HOME': home, 'COE_MAGNUM_AUTH_CACHE': '1', 'ANSIBLE_LOCAL_TEMP': os.path.join(home, 'tmp')}
    try:
        # The first play writes the kubeconfig the second play reads: make it once before, so both runs see it.
        setup = support.Runner(os.path.join(work, 'setup'), {'LOCALCLOUD_HOME': environment['LOCALCLOUD_HOME']},
                               collections_path)
        os.makedirs(setup.workdir)
        made = setup.run([{'name': 'config', 'coe.magnum.magnum_cluster_config': dict(
            cluster=shared.name, dest=dest, output_certs=True)}])
        assert made.returncode == 0, made.output[-3000:]
        key_pem, key_data, server = _key_secrets(dest)
        paths = dict(dest=dest, kubeconfig=os.path.join(dest, 'config'), broken=broken, server=server)
        plays = _plays(shared, template, auth, config, project_id, appcred.id, paths)
        secret_variables = dict(secret_password=auth['password'], secret_token=token, secret_proxy=secrets['proxy'],
                                secret_appcred=secrets['appcred'], secret_api_key=secrets['api_key'])
        runner = support.Runner(os.path.join(work, 'playbook'), {'LOCALCLOUD_HOME': environment['LOCALCLOUD_HOME']},
                                collections_path)
        os.makedirs(runner.workdir)
        run = runner.run_play(plays, extra_vars=secret_variables, verbosity=3,
                              drop_environment=('OS_CLOUD', 'OS_CLIENT_CONFIG_FILE'), wrapper=capture.wrap,
                              environment=run_environment)
        playbook_syslog = capture.messages()
        runner_env = dict(run_environment, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR='1',
                          LOCALCLOUD_HOME=environment['LOCALCLOUD_HOME'])
        # The playbook runs its modules in their tasks' worker processes (the default on the controller's Python),
        # the AWX-style job as module processes: every secret is looked for in the output of both ways.
        runner_rc, runner_output, artifacts = _runner_job(os.path.join(work, 'runner'), plays,
                                                          dict(secret_variables, coe_magnum_in_process=False),
                                                          runner_env, capture.wrap)
        syslog = capture.messages()
        with open(support.faults.default_log_path(), 'rb') as handle:
            handle.seek(offset)
            log_text = handle.read().decode('utf-8', 'replace')
        every_secret = [auth['password'], token, secrets['appcred'], secrets['proxy'], secrets['api_key'],
                        secrets['broken'], key_pem, key_data]
        yield dict(run=run, runner_rc=runner_rc, runner_output=runner_output, artifacts=artifacts,
                   playbook_syslog=playbook_syslog, syslog=syslog, log=log_text, home=home, work=work,
                   every_secret=every_secret, auth=auth, key_pem=key_pem,
                   server=server)
    finally:
        capture.stop()
        for found in templates_named(cloud, template):
            cloud.container_infrastructure_management.delete_cluster_template(found)
        cloud.identity.delete_application_credential(cloud.current_user_id, appcred, ignore_missing=True)
        shutil.rmtree(os.path.join(work, 'syslog', 'dev'), ignore_errors=True)


def _places(secrets_run):
    """(name, text) of everything the runs wrote that no secret may be in."""
    places = [('ansible-playbook -vvv output', secrets_run['run'].output),
              ('ansible-runner output', secrets_run['runner_output']),
              ('syslog', '\n'.join(secrets_run['syslog'])),
              ('request log of the proxy', secrets_run['log'])]
    for path, data in _files_under(secrets_run['artifacts']):
        places.append(('runner artifact %s' % os.path.relpath(path, secrets_run['artifacts']),
                       data.decode('utf-8', 'replace')))
    cache = os.path.join(secrets_run['home'], '.cache', 'coe.magnum')
    for path, data in _files_under(secrets_run['home']):
        if os.path.dirname(path) == cache:  # the token is the auth cache's content by design: its name only
            places.append(('auth cache file name', os.path.basename(path)))
            continue
        places.append(('file %s' % os.path.relpath(path, secrets_run['home']), data.decode('utf-8', 'replace')))
    return places


def test_every_task_ran_both_ways(secrets_run):
    run = secrets_run['run']
    names = [record['task'] for record in run.records]
    failed = [record['task'] for record in run.records
              if record['outcome'] == 'failed' and record['task'] not in MAY_FAIL]
    assert sorted(failed) == sorted(EXPECTED_FAILURES), run.output[-4000:]
    for task in ('template', 'config', 'storage', 'token auth', 'cloud dict with a password',
                 'cloud dict with an application credential', 'cloud dict with a token', 'inline kubeconfig text',
                 'inline kubeconfig dict', 'template removed'):
        assert task in names
    assert run.result('cloud dict with a token')['clusters'], 'token auth found nothing'
    assert run.result('cloud dict with an application credential')['cluster_templates']
    assert "runs in the task's worker process" in run.output, 'the output is not -vvv, or no module ran in process'
    assert secrets_run['runner_rc'] == 0, secrets_run['runner_output'][-4000:]
    assert 'runs as a module process: coe_magnum_in_process is false' in secrets_run['runner_output']
    assert 'ansible-tmp' in secrets_run['runner_output'], 'the job output is not -vvv'
    events = os.listdir(os.path.join(secrets_run['artifacts'], 'job_events'))
    assert len(events) > 40, 'ansible-runner wrote %d job events' % len(events)


def test_the_syslog_capture_saw_every_module_invocation(secrets_run):
    invoked = [message for message in secrets_run['playbook_syslog'] if 'Invoked with' in message]
    # 18 module tasks; the one failing its argument validation fails before it logs.
    assert len(invoked) >= 17, 'syslog got %d invocations' % len(invoked)
    assert len([m for m in secrets_run['syslog'] if 'Invoked with' in m]) >= 2 * len(invoked) - 2


def test_failures_name_the_problem_without_quoting_it(secrets_run):
    run = secrets_run['run']
    broken = run.result('broken kubeconfig file')['msg']
    assert 'kubeconfig' in broken and 'line 6, column' in broken, broken
    assert 'not_an_option' in run.result('bad option beside a cloud dict')['msg']


def test_sanitised_not_hidden_the_cloud_and_server_stay_visible(secrets_run):
    """The secret parts are masked; the auth URL (which cloud) and the API server (which cluster) are not."""
    output = secrets_run['run'].output
    assert secrets_run['auth']['auth_url'] in output
    assert secrets_run['server'] in output
    assert '"password": "%s"' % MASKED in output
    assert '"application_credential_secret": "%s"' % MASKED in output
    assert 'proxyuser:********@proxy.example:3128' in output


SECRET_CASES = [
    ('password', '`auth` in module_defaults; `cloud` as a dict (auth.password); beside an unknown option'),
    ('keystone token', '`auth.token` with auth_type token; `cloud` as a dict with a token'),
    ('application credential secret', '`cloud` as a dict (v3applicationcredential)'),
    ('proxy password', 'template `http_proxy` URL (and read back from Magnum by the info and delete tasks)'),
    ('api key', '`api_key` of coe_storage'),
    ('token of a broken kubeconfig', 'a kubeconfig file that is not YAML on the line of its token'),
    ('private key', 'written by magnum_cluster_config; inline `kubeconfig` as text and as a dict'),
    ('client-key-data', 'inline `kubeconfig` as text and as a dict'),
]


@pytest.mark.parametrize('index, what, how', [(index, what, how) for index, (what, how) in enumerate(SECRET_CASES)],
                         ids=[what for what, _how in SECRET_CASES])
def test_no_secret_anywhere(secrets_run, report, index, what, how):
    secret = secrets_run['every_secret'][index]
    places = _places(secrets_run)
    leaks = sorted(set(place for place, text in places for form in _forms(secret) if form in text))
    report.secret_places = ('the ansible-playbook output, the ansible-runner output and its %d artifact files, '
                            'the syslog messages, the proxy\'s request log and every file under the runs\' home '
                            'directory (the auth cache\'s by name)' % len(
                                [p for p, _t in places if p.startswith('runner artifact')]))
    report.secrets.append(dict(what=what, how=how, found=', '.join(leaks)))
    assert not leaks, 'the %s is in: %s' % (what, ', '.join(leaks))


def test_no_keystone_token_or_private_key_of_any_kind(secrets_run):
    for place, text in _places(secrets_run):
        assert not FERNET_TOKEN.search(text), 'a keystone token is in %s' % place
        assert not PRIVATE_KEY.search(text), 'a private key is in %s' % place


def test_credential_files_are_private(secrets_run):
    dest = os.path.join(secrets_run['work'], 'access', 'kube')
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o700
    # The directory above dest did not exist either: every directory the module made is private.
    assert stat.S_IMODE(os.stat(os.path.dirname(dest)).st_mode) == 0o700
    for name in ('config', 'key.pem'):
        assert stat.S_IMODE(os.stat(os.path.join(dest, name)).st_mode) == 0o600, name
    cache = os.path.join(secrets_run['home'], '.cache', 'coe.magnum')
    assert os.listdir(cache), 'the auth cache wrote nothing'
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    for name in os.listdir(cache):
        assert stat.S_IMODE(os.lstat(os.path.join(cache, name)).st_mode) == 0o600, name


def test_job_events_hold_results(secrets_run):
    """The artifacts searched are the ones AWX stores: job events with the task results in them."""
    events = os.path.join(secrets_run['artifacts'], 'job_events')
    results = []
    for name in os.listdir(events):
        with open(os.path.join(events, name)) as handle:
            event = json.load(handle)
        if event.get('event') in ('runner_on_ok', 'runner_on_failed'):
            results.append(event['event_data']['res'])
    assert any('invocation' in result for result in results), 'no event carries a module invocation'
