"""Put hack/get_pip_standin.py where ansible-test looks for its cached pip bootstrap script.

The file name carries the pip version the installed ansible-test pins, so it is read from
ansible-test itself. A real get-pip script already in the cache is left alone.
"""

import os
import shutil
import sys
import types

from ansible_test._internal.python_requirements import get_venv_packages

MARKER = 'Stand-in for the pip bootstrap script'


def main():
    standin = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'get_pip_standin.py')
    python = types.SimpleNamespace(version='%d.%d' % sys.version_info[:2])
    pip_version = get_venv_packages(python)['pip']
    cache_path = os.path.expanduser('~/.ansible/test/cache/get_pip_%s.py' % pip_version.replace('.', '_'))

    if os.path.exists(cache_path):
        with open(cache_path, encoding='utf-8') as cached:
            if MARKER not in cached.read(4096):
                print('ansible-test pip bootstrap: keeping the downloaded %s' % cache_path)
                return
    os.makedirs(os.path.dirname(cache_path), exist_ok=True)
    shutil.copyfile(standin, cache_path)
    print('ansible-test pip bootstrap: pip %s from ensurepip via %s' % (pip_version, cache_path))


if __name__ == '__main__':
    main()
