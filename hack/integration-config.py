"""Write tests/integration/integration_config.yml of a collection tree from the local cloud's environment.

ansible-test runs integration targets with a fixed environment (PATH, HOME and its own
variables), so OS_CLIENT_CONFIG_FILE and OS_CLOUD from `localcloud env` never reach the modules.
ansible-test does pass integration_config.yml to every target as extra variables; targets use:

    environment: "{{ integration_env }}"

and may read each variable lowercased (os_cloud, os_client_config_file, ...). LOCALCLOUD_SOURCE
names the local cloud's source folder in the checkout, for targets that import its helpers.

COE_MAGNUM_TEST_DRIVER (heat, the default, or capi-helm) picks the Magnum driver the targets' clusters run on:
targets build their templates from `integration_template` (the image selects the driver; the flavors and network
driver are those the driver accepts), read `integration_driver` where the drivers differ in what they build, and
`integration_failing_create` for a create that fails on that driver.

Usage: integration-config.py COLLECTION_ROOT LOCALCLOUD_SOURCE ENV_COMMAND
"""

import json
import os
import subprocess
import sys


# The local cloud's seeded images: os_distro fedora-coreos selects its Heat driver, ubuntu the real
# magnum-capi-helm driver, which refuses flavors under 2 vCPUs and 2 GiB and runs Calico or Cilium. The Heat driver
# runs the version of the label kube_tag, magnum-capi-helm the image's kube_version: an upgrade needs a newer image.
TEMPLATES = {
    'heat': {'image': 'fedora-coreos-40', 'flavor': 'm1.small', 'master_flavor': 'm1.small',
             'network_driver': 'flannel', 'kube_version': 'v1.30.4', 'newer_image': 'fedora-coreos-40',
             'newer_kube_version': 'v1.31.0'},
    'capi-helm': {'image': 'ubuntu-jammy-kube-v1.30.4', 'flavor': 'm1.medium', 'master_flavor': 'm1.medium',
                  'network_driver': 'calico', 'kube_version': 'v1.30.4', 'newer_image': 'ubuntu-jammy-kube-v1.31.1',
                  'newer_kube_version': 'v1.31.1'},
}

# A cluster create that fails on each driver, and what Magnum then reports: the local Heat driver fails a Heat resource
# on its label localcloud_fail (the failed node group becomes a fault); the real magnum-capi-helm driver refuses, in
# its own create, a node flavor under its minimum of 2 vCPUs (the reason only: no node group failed, so no fault).
FAILING_CREATES = {
    'heat': {'labels': {'localcloud_fail': 'create'}, 'reason': 'Test Resource failed operation', 'faults': True},
    'capi-helm': {'flavor': 'm1.small', 'labels': {},
                  'reason': 'Flavor m1.small does not have enough CPU to run Kubernetes', 'faults': False},
}


def environment_after(command):
    """The environment a shell has after evaluating what `command` prints."""
    script = 'eval "$(%s)" && env -0' % command
    output = subprocess.run(['bash', '-c', script], check=True, stdout=subprocess.PIPE).stdout
    return dict(entry.split('=', 1) for entry in output.decode().split('\0') if '=' in entry)


def main():
    collection_root, localcloud_source, command = sys.argv[1:4]
    before = environment_after('true')
    after = environment_after(command)
    added = {key: value for key, value in sorted(after.items()) if before.get(key) != value and key != '_'}
    # Inside hack/cloud-lane's namespace (or netcloud's) these are set before the command runs, to the same values.
    added.update((key, after[key]) for key in ('LOCALCLOUD_HOME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLOUD') if key in after)
    if 'OS_CLIENT_CONFIG_FILE' not in added:
        sys.exit('%s printed no OS_CLIENT_CONFIG_FILE; is the local cloud up?' % command)
    added.setdefault('LOCALCLOUD_SOURCE', os.path.abspath(localcloud_source))

    driver = os.environ.get('COE_MAGNUM_TEST_DRIVER') or 'heat'
    if driver not in TEMPLATES:
        sys.exit('COE_MAGNUM_TEST_DRIVER=%s: not one of %s' % (driver, ', '.join(TEMPLATES)))
    variables = {'integration_env': added, 'integration_driver': driver, 'integration_template': TEMPLATES[driver],
                 'integration_failing_create': FAILING_CREATES[driver]}
    variables.update({key.lower(): value for key, value in added.items()})
    path = os.path.join(collection_root, 'tests', 'integration', 'integration_config.yml')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as config:
        config.write('---\n# Written by `make integration` from the local cloud environment.\n')
        json.dump(variables, config, indent=2)
        config.write('\n')
    sys.stdout.write('integration_config.yml (driver %s): %s\n' % (driver, ', '.join(added)))


if __name__ == '__main__':
    main()
