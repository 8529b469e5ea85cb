"""Write tests/integration/integration_config.yml of a collection tree from the local cloud's environment.

ansible-test runs integration targets with a fixed environment (PATH, HOME and its own
variables), so OS_CLIENT_CONFIG_FILE and OS_CLOUD from `localcloud env` never reach the modules.
ansible-test does pass integration_config.yml to every target as extra variables; targets use:

    environment: "{{ integration_env }}"

and may read each variable lowercased (os_cloud, os_client_config_file, ...). LOCALCLOUD_SOURCE
names the local cloud's source folder in the checkout, for targets that import its helpers.

Usage: integration-config.py COLLECTION_ROOT LOCALCLOUD_SOURCE ENV_COMMAND
"""

import json
import os
import subprocess
import sys


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
    if 'OS_CLIENT_CONFIG_FILE' not in added:
        sys.exit('%s printed no OS_CLIENT_CONFIG_FILE; is the local cloud up?' % command)
    added.setdefault('LOCALCLOUD_SOURCE', os.path.abspath(localcloud_source))

    variables = {'integration_env': added}
    variables.update({key.lower(): value for key, value in added.items()})
    path = os.path.join(collection_root, 'tests', 'integration', 'integration_config.yml')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as config:
        config.write('---\n# Written by `make integration` from the local cloud environment.\n')
        json.dump(variables, config, indent=2)
        config.write('\n')
    sys.stdout.write('integration_config.yml: %s\n' % ', '.join(added))


if __name__ == '__main__':
    main()
