"""Module start-up: what importing each module's code costs, as AnsiballZ imports it, median of N runs.

AnsiballZ runs a module by importing it (`runpy` of the module's package path) in a new Python process, so every
task pays for the module's imports. For each module of coe.magnum (and the peer's modules, when the peer's
virtualenv exists) this runs `python -X importtime -c 'import <module>'` N times and reports the median of the
top-level import times and the number of distinct modules loaded; then the same with the libraries the module's
run imports only when it runs (the "+run" columns).

    .venv/bin/python tests/bench/importtime.py [--runs 3] [--limit 250]   # PYTHONPATH: the collections path

Exit status 1 when an OpenStack module of ours takes longer than --limit ms (import + run).
"""

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS_PYTHON = Path(sys.executable)
PEER_PYTHON = ROOT / '.build' / 'bench' / 'peer-venv' / 'bin' / 'python'
COLLECTIONS_PATH = os.environ.get('ANSIBLE_COLLECTIONS_PATH', '/tmp/ac')
IMPORT_LINE = re.compile(r'import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)')
OURS = 'ansible_collections.coe.magnum.plugins.'
KUBE_CLIENT = 'from %smodule_utils.kube_client import client_library; client_library()' % OURS
# What each module's run imports beyond its own imports, on the paths a converged run takes (openstack.cloud imports
# the SDK in its base class's constructor; coe_storage the kubernetes client when it connects). Ours load the whole
# SDK only to look an image, flavor or network up by name through its proxies: magnum_cluster_template and
# magnum_nodegroup on a create or a changed reference, magnum_cluster_ports when a rule names its remote group
# (Neutron is otherwise read through module_utils.neutron; magnum_cloud_info's survey through module_utils.neutron
# and module_utils.survey_reads).
RUNTIME_IMPORTS = {
    # What module_utils.kube_client imports when it connects: the client without its typed APIs and models.
    'coe_storage': KUBE_CLIENT, 'coe_cluster_check': KUBE_CLIENT,
    'coe_cluster': 'import openstack', 'coe_cluster_template': 'import openstack',
    'security_group_rule': 'import openstack',
}
# Modules whose run talks to OpenStack (coe_storage and coe_cluster_check talk to Kubernetes only).
KUBERNETES_ONLY = ('coe_storage', 'coe_cluster_check')


def import_profile(python, statement, env):
    """Import times (wall clock, as -X importtime gives them) and the process's CPU time, which a loaded machine
    stretches far less than the wall clock: on a shared machine, compare CPU times."""
    started, cpu_before = time.time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([str(python), '-X', 'importtime', '-c', statement], env=env, capture_output=True,
                            text=True)
    wall, cpu_after = time.time() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    names, total = set(), 0
    for line in result.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            names.add(match.group(4))
            if len(match.group(3)) == 1:
                total += int(match.group(2))
    if result.returncode != 0:
        raise RuntimeError('%s failed: %s' % (statement, result.stderr[-2000:]))
    tops = {name.split('.')[0] for name in names}
    return {'import_ms': total / 1000.0, 'process_ms': wall * 1000.0, 'cpu_ms': cpu * 1000.0,
            'modules_loaded': len(names),
            'kubernetes': 'kubernetes' in tops, 'openstack': 'openstack' in tops,
            'openstack_proxies': 'openstack.connection' in names,
            # Model classes, not the package: kubernetes 37's kubernetes.client.models imports its classes on use.
            'kubernetes_models': any(name.startswith('kubernetes.client.models.') for name in names),
            'magnumclient': 'magnumclient' in tops, 'cryptography': 'cryptography' in tops}


def median(values):
    return round(statistics.median(values), 2) if values else None


def bench_startup(repeats=3):
    """Rows per module; the runs of all modules are interleaved (run 1 of every module, then run 2, ...) so that a
    change of the machine's load weighs on every module alike."""
    env = dict(os.environ, PYTHONPATH=COLLECTIONS_PATH)
    targets = [('ours', OURS_PYTHON, OURS + 'modules.%s' % path.stem)
               for path in sorted((ROOT / 'plugins' / 'modules').glob('*.py')) if path.stem != '__init__']
    if PEER_PYTHON.exists():
        targets += [('peer', PEER_PYTHON, 'ansible_collections.openstack.cloud.plugins.modules.%s' % name)
                    for name in ('coe_cluster', 'coe_cluster_template', 'security_group_rule')]
        targets += [('peer', PEER_PYTHON, 'ansible_collections.kubernetes.core.plugins.modules.k8s')]
    samples = dict((module, ([], [])) for _side, _python, module in targets)
    for _ in range(repeats):
        for side, python, module in targets:
            name = module.rsplit('.', 1)[1]
            side_env = env if side == 'ours' else dict(os.environ)
            statement = 'import %s' % module
            samples[module][0].append(import_profile(python, statement, side_env))
            if name in RUNTIME_IMPORTS:
                statement += '; ' + RUNTIME_IMPORTS[name]
            samples[module][1].append(import_profile(python, statement, side_env))
    rows = []
    for side, _python, module in targets:
        name = module.rsplit('.', 1)[1]
        alone, running = samples[module]
        row = dict(alone[-1], import_ms=median([s['import_ms'] for s in alone]),
                   process_ms=median([s['process_ms'] for s in alone]), cpu_ms=median([s['cpu_ms'] for s in alone]))
        row['with_runtime_libraries'] = dict(running[-1], import_ms=median([s['import_ms'] for s in running]),
                                             process_ms=median([s['process_ms'] for s in running]),
                                             cpu_ms=median([s['cpu_ms'] for s in running]),
                                             libraries=RUNTIME_IMPORTS.get(name, ''))
        row.update(side=side, module=name, openstack_module=side == 'ours' and name not in KUBERNETES_ONLY)
        rows.append(row)
    return rows


def startup_rows(startup):
    def mark(flag):
        return 'yes' if flag else '-'
    return [(r['side'], r['module'], round(r['import_ms']), round(r.get('cpu_ms', 0)), r['modules_loaded'],
             round(r['with_runtime_libraries']['import_ms']), round(r['with_runtime_libraries'].get('cpu_ms', 0)),
             r['with_runtime_libraries']['modules_loaded'],
             mark(r['with_runtime_libraries'].get('openstack_proxies')),
             mark(r['with_runtime_libraries']['kubernetes']),
             mark(r['with_runtime_libraries'].get('kubernetes_models')),
             mark(r['with_runtime_libraries']['cryptography']))
            for r in startup]


STARTUP_HEADER = ('side', 'module', 'import ms', 'process CPU ms', 'modules', 'import+run ms', 'CPU+run ms',
                  'modules+run', 'SDK proxies+run',
                  'kubernetes+run', 'k8s models+run', 'cryptography+run')
STARTUP_TITLE = ('3. Module start-up: python -X importtime (median of %d, interleaved); "+run" adds what the module '
                 'imports only when it runs')


def over_limit(startup, limit):
    return [r['module'] for r in startup
            if r.get('openstack_module') and r['with_runtime_libraries']['import_ms'] > limit]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--limit', type=float, default=250, help='ms, import + run, for OpenStack modules of ours')
    parser.add_argument('--json', help='also write the rows to this file')
    args = parser.parse_args()
    load = os.getloadavg()
    rows = bench_startup(args.runs)
    widths = [max(len(str(x)) for x in column) for column in zip(STARTUP_HEADER, *startup_rows(rows))]
    print(STARTUP_TITLE % args.runs)
    print('load average %.2f %.2f %.2f at the start, %s UTC' % (load + (time.strftime('%Y-%m-%d %H:%M',
                                                                                     time.gmtime()),)))
    for line in [STARTUP_HEADER, tuple('-' * w for w in widths)] + startup_rows(rows):
        print('  '.join(str(c).ljust(w) for c, w in zip(line, widths)))
    if args.json:
        Path(args.json).write_text(json.dumps({'load_average_at_start': load, 'rows': rows}, indent=2))
    slow = over_limit(rows, args.limit)
    if slow:
        print('over %g ms (import + run): %s' % (args.limit, ', '.join(slow)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
