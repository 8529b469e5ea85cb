"""Stand-in for the pip bootstrap script ansible-test downloads from ci-files.testing.ansible.com.

ansible-test runs this file with the new virtualenv's Python and the arguments meant for the
original get-pip.py: pip options, the pinned `pip==X` requirement, and `--no-setuptools` /
`--no-wheel`. Without access to that host, the same result comes from the interpreter's own
bundled pip (ensurepip) followed by a regular pip install of the pinned version from the package
index the environment configures.
"""

import importlib.util
import subprocess
import sys

SKIP_FLAGS = {'--no-setuptools': 'setuptools', '--no-wheel': 'wheel'}


def main():
    arguments = [arg for arg in sys.argv[1:] if arg not in SKIP_FLAGS]
    unwanted = [SKIP_FLAGS[arg] for arg in sys.argv[1:] if arg in SKIP_FLAGS]

    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + arguments)
    # ensurepip of Python < 3.12 also brings setuptools, which the original script leaves out
    # when asked to; remove it so the virtualenv matches what ansible-test expects.
    installed = [name for name in unwanted if importlib.util.find_spec(name) is not None]
    if installed:
        subprocess.check_call([sys.executable, '-m', 'pip', 'uninstall', '--yes', '--quiet'] + installed)


if __name__ == '__main__':
    main()
