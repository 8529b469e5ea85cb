# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mutation testing of the modules' decision code with cosmic-ray: how many changed programs the unit tests catch.

Each target file is mutated, one mutant at a time, in a copy of the collection (laid out as
ansible_collections/coe/magnum, as the unit tests import it), and only the unit tests that cover it run against
each mutant, the fastest first, stopping at the first failure. Prints the figures per file and writes the
surviving mutants' diffs to .build/mutants/<file>.survivors. cosmic-ray mutates in place: each file gets a copy
of its own, which keeps the checkout untouched and lets MUTANTS_JOBS files run side by side. Usage:
    hack/mutants.py [file ...]      (default: every target below; e.g. hack/mutants.py retry.py cluster/plan.py)
MUTANTS_JOBS=2 runs two files at a time; MUTANTS_AGAIN=survivors tries only the last run's survivors again.
"""

import concurrent.futures
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time

SCRIPT = os.path.abspath(__file__)
REPO = os.path.dirname(os.path.dirname(SCRIPT))
WORK = os.path.join(REPO, '.build', 'mutants')
LIB = os.path.join(WORK, 'lib')
PINS = os.path.join(REPO, 'tests', 'requirements-mutants.txt')
UNITS = 'ansible_collections/coe/magnum/tests/unit/plugins/'
# module_utils file -> the unit tests that decide about it (module tests included where they drive it), the
# fastest first: with pytest -x, most mutants are caught by the first file and the slow ones never start.
TARGETS = {
    'retry.py': ['module_utils/test_retry.py'],
    'cluster/model.py': ['module_utils/cluster/test_cluster_plan.py', 'module_utils/cluster/test_nodegroup_plan.py',
                         'modules/test_magnum_cluster.py'],
    'cluster/plan.py': ['module_utils/cluster/test_cluster_plan.py', 'modules/test_magnum_cluster.py'],
    'cluster/actions.py': ['modules/test_magnum_cluster.py'],
    'cluster/nodegroup_plan.py': ['module_utils/cluster/test_nodegroup_plan.py', 'modules/test_magnum_nodegroup.py'],
    'security_group_rules.py': ['module_utils/test_security_group_rules.py', 'modules/test_magnum_cluster_ports.py'],
    # test_magnum_cluster_config.py is left out: it needs half a minute of processor time (it makes RSA keys),
    # which every surviving mutant would pay. The file's own tests have to kill its mutants.
    'files.py': ['module_utils/test_files.py'],
    'kubeconfig.py': ['module_utils/test_kubeconfig.py'],
    'certificates.py': ['module_utils/test_certificates.py'],
    'storage/claim_manifest.py': ['module_utils/storage/test_claim_manifest.py', 'modules/test_coe_storage.py'],
    'storage/class_manifest.py': ['module_utils/storage/test_class_manifest.py', 'modules/test_coe_storage.py'],
    'storage/reconcile.py': ['module_utils/storage/test_reconcile.py', 'modules/test_coe_storage.py'],
}
# A mutant can loop for ever: its tests are stopped (a kill) once they have used three times the processor time
# of the unmutated run (at least MIN_CPU_SECONDS); processor time, not wall-clock time, because the machine may be
# busy. TEST_SECONDS of wall-clock time stop one that sleeps for ever, before cosmic-ray's own timeout.
MIN_CPU_SECONDS = 10
TEST_SECONDS = 240
TIMEOUT_SECONDS = 300.0


def install():
    """cosmic-ray in a folder of its own (pip --target): the tools virtualenv stays as its pins make it."""
    stamp = os.path.join(LIB, '.installed')
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(PINS):
        return
    shutil.rmtree(LIB, ignore_errors=True)
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--target', LIB, '-r', PINS], check=True)
    open(stamp, 'w').close()


def tree_of(name):
    return os.path.join(WORK, 'tree-' + name[:-len('.py')].replace('/', '_'))


def copy_collection(tree):
    collection = os.path.join(tree, 'ansible_collections', 'coe', 'magnum')
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(collection)
    for name in ('plugins', 'meta', 'galaxy.yml'):
        source = os.path.join(REPO, name)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(collection, name), ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copy(source, os.path.join(collection, name))
    shutil.copytree(os.path.join(REPO, 'tests', 'unit'), os.path.join(collection, 'tests', 'unit'),
                    ignore=shutil.ignore_patterns('__pycache__'))


def serve(tree, address, tests):
    """Run pytest for each request in a fork of a process that has already imported pytest and the libraries.

    Most of a pytest run is Python starting and importing ansible, cryptography, kubernetes; on a busy machine that
    is seconds per mutant. This process collects the tests once (which imports all of it), forgets every module
    loaded from the copy (so each fork imports the mutated file as it is on disk), and forks once per mutant.
    """
    import pytest
    sys.dont_write_bytecode = True
    os.chdir(tree)
    sys.path.insert(0, tree)
    quiet = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1), os.dup(2)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    pytest.main(['-q', '-p', 'no:cacheprovider', '--collect-only'] + tests)
    os.dup2(saved[0], 1)
    os.dup2(saved[1], 2)
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith('ansible_collections') or (getattr(module, '__file__', None) or '').startswith(tree):
            del sys.modules[module_name]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(1)
    cpu_budget = None  # the first request is cosmic-ray's baseline run, without mutation
    parent = os.getppid()
    listener.settimeout(5)
    while True:
        try:
            connection = listener.accept()[0]
        except socket.timeout:
            if os.getppid() != parent:
                return  # the run that started this server is over
            continue
        connection.settimeout(None)
        arguments = json.loads(connection.makefile().readline())
        child = os.fork()
        if child == 0:
            listener.close()
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            if cpu_budget:
                resource.setrlimit(resource.RLIMIT_CPU, (cpu_budget, cpu_budget + 5))
            signal.alarm(TEST_SECONDS)
            os._exit(int(pytest.main(arguments)))
        _pid, status, usage = os.wait4(child, 0)
        if cpu_budget is None:
            cpu_budget = max(MIN_CPU_SECONDS, int(3 * (usage.ru_utime + usage.ru_stime)) + 1)
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
        try:
            connection.sendall(b'%d\n' % code)
        except OSError:
            pass  # cosmic-ray gave up on this mutant (its timeout) and stopped the client
        connection.close()


def run_tests(address, arguments):
    """The test command cosmic-ray runs per mutant: asks the server to run pytest, exits with its exit status."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(address)
    client.sendall(json.dumps(arguments).encode() + b'\n')
    sys.exit(int(client.makefile().readline()))


def cosmic_ray(tree, *arguments, check=True, **kwargs):
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([tree, LIB]), PYTHONDONTWRITEBYTECODE='1')
    return subprocess.run([sys.executable, '-m'] + list(arguments), cwd=tree, env=environment,
                          universal_newlines=True, check=check, **kwargs)


def run_target(name, again=False):
    tests = TARGETS[name]
    tree = tree_of(name)
    copy_collection(tree)
    stem = os.path.join(WORK, name.replace('/', '_'))  # files of a package (cluster/plan.py) stay in WORK
    config = stem + '.toml'
    session = stem + '.sqlite'
    address = stem + '.socket'
    if os.path.exists(address):
        os.unlink(address)
    tests = [UNITS + test for test in tests]
    server = subprocess.Popen([sys.executable, SCRIPT, '--serve', tree, address] + tests,
                              env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1'))
    while not os.path.exists(address):
        if server.poll() is not None:
            raise SystemExit('%s: the test server did not start' % name)
        time.sleep(0.5)
    command = '%s %s --run %s -x -q -p no:cacheprovider %s' % (sys.executable, SCRIPT, address, ' '.join(tests))
    with open(config, 'w') as handle:
        handle.write('[cosmic-ray]\nmodule-path = "ansible_collections/coe/magnum/plugins/module_utils/%s"\n'
                     'timeout = %.1f\nexcluded-modules = []\ntest-command = "%s"\n\n'
                     '[cosmic-ray.distributor]\nname = "local"\n' % (name, TIMEOUT_SECONDS, command))
    if again and os.path.exists(session):
        # Only the last run's survivors are tried again: new tests can kill them, and every mutant killed before
        # still is as long as no test was removed or weakened (a full run is the figure of record).
        with sqlite3.connect(session) as database:
            database.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")
    else:
        if os.path.exists(session):
            os.unlink(session)
        cosmic_ray(tree, 'cosmic_ray.cli', 'init', config, session, check=True)
    if cosmic_ray(tree, 'cosmic_ray.cli', 'baseline', config, check=False).returncode != 0:
        raise SystemExit('%s: the unit tests fail without any mutation' % name)
    started = time.monotonic()
    cosmic_ray(tree, 'cosmic_ray.cli', 'exec', config, session, check=True, stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    if server.poll() is not None:
        raise SystemExit('%s: the test server stopped during the run; the figures would count it as kills' % name)
    server.terminate()
    server.wait()
    dump = cosmic_ray(tree, 'cosmic_ray.cli', 'dump', session, check=True, stdout=subprocess.PIPE).stdout
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
    unknown = sorted(set(names) - set(TARGETS))
    if unknown:
        raise SystemExit('No such target: %s (targets: %s)' % (', '.join(unknown), ', '.join(sorted(TARGETS))))
    jobs = int(os.environ.get('MUTANTS_JOBS') or 1)
    again = os.environ.get('MUTANTS_AGAIN') == 'survivors'
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = [(name, pool.submit(run_target, name, again)) for name in names or sorted(TARGETS)]
        for name, run in runs:
            total, survived, seconds = run.result()
            killed = total - survived
            print('%-20s %5d mutants  %5d killed  %4d survived  %5.1f %% killed  (%d s)' % (
                name, total, killed, survived, 100.0 * killed / total if total else 0.0, seconds), flush=True)
    print('All: %d s with %d job(s)' % (time.monotonic() - started, jobs))
    print('Survivors: .build/mutants/<file>.survivors')


if __name__ == '__main__':
    if sys.argv[1:2] == ['--serve']:
        serve(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif sys.argv[1:2] == ['--run']:
        run_tests(sys.argv[2], sys.argv[3:])
    else:
        main(sys.argv[1:])
