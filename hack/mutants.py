# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mutation testing of the modules' decision code with cosmic-ray: how many changed programs the unit tests catch.

Each target file is mutated, one mutant at a time, in a copy of the collection (laid out as
ansible_collections/coe/magnum, as the unit tests import it), and the unit tests that cover it run against each
mutant. Prints the figures per file and writes the surviving mutants' diffs to .build/mutants/<file>.survivors.
cosmic-ray mutates in place: the copy keeps the checkout untouched. Usage:
    hack/mutants.py [file ...]      (default: every target below; e.g. hack/mutants.py retry.py files.py)
"""

import json
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
WORK = os.path.join(REPO, '.build', 'mutants')
LIB = os.path.join(WORK, 'lib')
TREE = os.path.join(WORK, 'tree')
COLLECTION = os.path.join(TREE, 'ansible_collections', 'coe', 'magnum')
PINS = os.path.join(REPO, 'tests', 'requirements-mutants.txt')
UNITS = 'ansible_collections/coe/magnum/tests/unit/plugins/'
# module_utils file -> the unit tests that decide about it (module tests included where they drive it).
TARGETS = {
    'retry.py': ['module_utils/test_retry.py'],
    'cluster/model.py': ['module_utils/cluster/test_cluster_plan.py', 'modules/test_magnum_cluster.py'],
    'cluster/plan.py': ['module_utils/cluster/test_cluster_plan.py', 'modules/test_magnum_cluster.py'],
    'cluster/actions.py': ['modules/test_magnum_cluster.py'],
    'security_groups.py': ['module_utils/test_security_groups.py', 'modules/test_magnum_cluster_ports.py'],
    'files.py': ['module_utils/test_files.py', 'modules/test_magnum_cluster_config.py'],
    'kubeconfig.py': ['module_utils/test_kubeconfig.py', 'modules/test_magnum_cluster_config.py'],
    'certificates.py': ['module_utils/test_certificates.py'],
    'kube_storage.py': ['modules/test_coe_storage.py'],
}
TIMEOUT_SECONDS = 60.0


def install():
    """cosmic-ray in a folder of its own (pip --target): the tools virtualenv stays as its pins make it."""
    stamp = os.path.join(LIB, '.installed')
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(PINS):
        return
    shutil.rmtree(LIB, ignore_errors=True)
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--target', LIB, '-r', PINS], check=True)
    open(stamp, 'w').close()


def copy_collection():
    shutil.rmtree(TREE, ignore_errors=True)
    os.makedirs(COLLECTION)
    for name in ('plugins', 'meta', 'galaxy.yml'):
        source = os.path.join(REPO, name)
        (shutil.copytree if os.path.isdir(source) else shutil.copy)(source, os.path.join(COLLECTION, name))
    shutil.copytree(os.path.join(REPO, 'tests', 'unit'), os.path.join(COLLECTION, 'tests', 'unit'),
                    ignore=shutil.ignore_patterns('__pycache__'))


def cosmic_ray(*arguments, check=True, **kwargs):
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([TREE, LIB]))
    return subprocess.run([sys.executable, '-m'] + list(arguments), cwd=TREE, env=environment,
                          universal_newlines=True, check=check, **kwargs)


def run_target(name, tests):
    stem = os.path.join(WORK, name.replace('/', '_'))  # files of a package (cluster/plan.py) stay in WORK
    config = stem + '.toml'
    session = stem + '.sqlite'
    command = '%s -m pytest -x -q -p no:cacheprovider %s' % (sys.executable, ' '.join(UNITS + t for t in tests))
    with open(config, 'w') as handle:
        handle.write('[cosmic-ray]\nmodule-path = "ansible_collections/coe/magnum/plugins/module_utils/%s"\n'
                     'timeout = %.1f\nexcluded-modules = []\ntest-command = "%s"\n\n'
                     '[cosmic-ray.distributor]\nname = "local"\n' % (name, TIMEOUT_SECONDS, command))
    if os.path.exists(session):
        os.unlink(session)
    cosmic_ray('cosmic_ray.cli', 'init', config, session, check=True)
    if cosmic_ray('cosmic_ray.cli', 'baseline', config, check=False).returncode != 0:
        raise SystemExit('%s: the unit tests fail without any mutation' % name)
    started = time.monotonic()
    cosmic_ray('cosmic_ray.cli', 'exec', config, session, check=True, stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    dump = cosmic_ray('cosmic_ray.cli', 'dump', session, check=True, stdout=subprocess.PIPE).stdout
    total, survivors = 0, []
    for line in dump.splitlines():
        job, result = json.loads(line)
        if not result:
            continue
        total += 1
        if result.get('test_outcome') == 'survived':
            survivors.append(result.get('diff') or json.dumps(job['mutations']))
    with open(stem + '.survivors', 'w') as handle:
        handle.write('\n\n'.join(survivors))
    return total, len(survivors), seconds


def main(names):
    os.makedirs(WORK, exist_ok=True)
    install()
    copy_collection()
    rows = []
    for name in names or sorted(TARGETS):
        total, survived, seconds = run_target(name, TARGETS[name])
        killed = total - survived
        rows.append((name, total, killed, survived, 100.0 * killed / total if total else 0.0, seconds))
        print('%-20s %5d mutants  %5d killed  %4d survived  %5.1f %% killed  (%d s)' % (rows[-1][0], *rows[-1][1:5],
                                                                                        seconds), flush=True)
    print('Survivors: .build/mutants/<file>.survivors')


if __name__ == '__main__':
    main(sys.argv[1:])
