# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No password, token or private key in -vvv output or in the request log; credential files are private.

One play runs every module with a password given inline (module_defaults of group/coe.magnum.magnum, no
clouds.yaml in sight), one task with a keystone token the test obtained itself, and magnum_cluster_config
writing a kubeconfig, a client certificate and its private key.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os
import re
import stat

import pytest
import yaml

import support
from support import templates_named

# Keystone's fernet tokens (the local cloud's kind) are URL-safe base64 that starts with gAAAAA.
FERNET_TOKEN = re.compile(r'gAAAAA[A-Za-z0-9_-]{40,}')
PRIVATE_KEY = re.compile(r'-----BEGIN [A-Z ]*PRIVATE KEY-----')


@pytest.fixture(scope='module')
def secrets_run(shared, cloud, environment, collections_path, tmp_path_factory):
    shared.ready()
    work = tmp_path_factory.mktemp('secrets')
    config = support.cloud_config(environment)
    auth = dict(config['auth'])
    token = cloud.session.get_token()
    project_id = cloud.session.get_project_id()
    dest = str(work / 'access' / 'kube')
    template = support.unique('secret-tmpl')
    tasks = [
        {'name': 'template', 'coe.magnum.magnum_cluster_template': dict(
            name=template, coe='kubernetes', image=support.IMAGE, external_network=support.EXTERNAL_NETWORK,
            flavor=support.FLAVOR, master_flavor=support.FLAVOR, keypair=support.KEYPAIR)},
        {'name': 'template info', 'coe.magnum.magnum_cluster_template_info': {'name': template}},
        {'name': 'cluster', 'coe.magnum.magnum_cluster': dict(name=shared.name,
                                                               cluster_template=shared.template_name)},
        {'name': 'cluster info', 'coe.magnum.magnum_cluster_info': {'name': shared.name}},
        {'name': 'config', 'coe.magnum.magnum_cluster_config': dict(cluster=shared.name, dest=dest,
                                                                     output_certs=True)},
        {'name': 'ports', 'coe.magnum.magnum_cluster_ports': dict(cluster=shared.name, role='worker', rules=[
            dict(protocol='tcp', port=8090, remote_ip_prefix='10.30.0.0/16')])},
        {'name': 'storage', 'coe.magnum.coe_storage': dict(
            kubeconfig=os.path.join(dest, 'config'), storage_class=dict(name='res-secrets'))},
        {'name': 'token auth', 'coe.magnum.magnum_cluster_info': dict(
            name=shared.name, auth_type='token',
            auth=dict(auth_url=auth['auth_url'], token=token, project_id=project_id))},
        {'name': 'ports removed', 'coe.magnum.magnum_cluster_ports': dict(
            cluster=shared.name, role='worker', state='absent',
            rules=[dict(protocol='tcp', port=8090, remote_ip_prefix='10.30.0.0/16')])},
        {'name': 'template removed', 'coe.magnum.magnum_cluster_template': dict(name=template, state='absent')},
    ]
    play = [{'name': 'every module, with a password given inline', 'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': {'group/coe.magnum.magnum': {
                 'auth': auth, 'auth_type': 'password', 'region_name': config.get('region_name'),
                 'interface': config.get('interface', 'public')}},
             'tasks': tasks}]
    runner = support.Runner(str(work), {'LOCALCLOUD_HOME': environment['LOCALCLOUD_HOME']}, collections_path)
    # The modules find the services in the catalog, so their requests go through the local cloud's own proxy.
    offset = support.faults.log_position()
    run = runner.run_play(play, verbosity=3, drop_environment=('OS_CLOUD', 'OS_CLIENT_CONFIG_FILE'))
    with open(support.faults.default_log_path(), 'rb') as handle:
        handle.seek(offset)
        log_text = handle.read().decode('utf-8', 'replace')
    try:
        yield dict(run=run, log=log_text, password=auth['password'], token=token, dest=dest)
    finally:
        for found in templates_named(cloud, template):
            cloud.container_infrastructure_management.delete_cluster_template(found)


def test_every_module_ran(secrets_run):
    run = secrets_run['run']
    assert run.returncode == 0, run.output[-4000:]
    names = [record['task'] for record in run.records]
    for task in ('template', 'template info', 'cluster', 'cluster info', 'config', 'ports', 'storage',
                 'token auth', 'ports removed', 'template removed'):
        assert task in names
    assert 'clusters' in run.result('token auth') and run.result('token auth')['clusters'], 'token auth found nothing'
    assert '<TASK: template>' in run.output or 'TASK [template]' in run.output
    assert 'ansible-tmp' in run.output, 'the output is not -vvv'


def test_no_password(secrets_run):
    password = secrets_run['password']
    assert password not in secrets_run['run'].output
    assert password not in secrets_run['log']


def test_no_token(secrets_run):
    run = secrets_run['run']
    token = secrets_run['token']
    assert token not in run.output, 'the token given to the token-auth task is in the output'
    assert token not in secrets_run['log']
    assert not FERNET_TOKEN.search(run.output), 'a keystone token is in the output: %s' % (
        FERNET_TOKEN.search(run.output).group(0)[:12] + '...')
    assert not FERNET_TOKEN.search(secrets_run['log'])


def _key_fragments(dest):
    """The private key's own text, and its base64 form as a kubeconfig holds it (client-key-data)."""
    with open(os.path.join(dest, 'key.pem')) as handle:
        key_pem = handle.read()
    body = [line for line in key_pem.splitlines() if line and not line.startswith('-----')]
    with open(os.path.join(dest, 'config')) as handle:
        kubeconfig = yaml.safe_load(handle)
    key_data = kubeconfig['users'][0]['user']['client-key-data']
    assert base64.b64decode(key_data).decode() == key_pem, 'the kubeconfig holds another key than key.pem'
    return body, key_data


def test_no_private_key(secrets_run):
    run = secrets_run['run']
    assert not PRIVATE_KEY.search(run.output)
    assert not PRIVATE_KEY.search(secrets_run['log'])
    body, key_data = _key_fragments(secrets_run['dest'])
    for fragment in body[1:-1] + [key_data[:60], key_data[-60:]]:
        assert fragment not in run.output, 'a piece of the private key is in the output'
        assert fragment not in secrets_run['log']


def test_credential_files_are_private(secrets_run):
    dest = secrets_run['dest']
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o700
    # The directory above dest did not exist either: every directory the module made is private.
    assert stat.S_IMODE(os.stat(os.path.dirname(dest)).st_mode) == 0o700
    for name in ('config', 'key.pem'):
        assert stat.S_IMODE(os.stat(os.path.join(dest, name)).st_mode) == 0o600, name
