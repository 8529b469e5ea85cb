"""make bench: coe.magnum against openstack.cloud + kubernetes.core on the local cloud.

Every figure comes from the wall clock and from request logs of front proxies of this script's own (the local
cloud's proxy program on ports 29000+, forwarding to the real services): other users of the shared cloud, and
the fault rules of the shared proxy, never reach these logs. Tables are printed and written with the raw
figures to .build/bench/results.json. Everything the run creates is removed at the end.

    ANSIBLE_COLLECTIONS_PATH=/tmp/ac .venv/bin/python tests/bench/run.py [--runs 3] [--delay 300] [--scale 10]

With --skip, the skipped parts' figures are kept from the previous results.json.
"""

import argparse
import collections
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / 'tests' / 'bench'
OUT = ROOT / '.build' / 'bench'
LOCALCLOUD_HOME = Path(os.environ.get('LOCALCLOUD_HOME') or ROOT / '.localcloud')
OURS_BIN = Path(sys.executable).parent
PEER_VENV = OUT / 'peer-venv'
PEER_REQUIREMENTS = ['ansible>=12,<13', 'openstacksdk==4.22.0', 'kubernetes']
COLLECTIONS_PATH = os.environ.get('ANSIBLE_COLLECTIONS_PATH', '/tmp/ac')
PREFIX = 'bench'
SITE_CLUSTER = PREFIX + '-site'
site_cluster = SITE_CLUSTER
SINGLE_CLUSTER = PREFIX + '-single'
# Catalog port of each service behind the shared proxy + 1000 = the real service; ours listen on BASE + offset.
SERVICES = (('keystone', 0, 26000), ('glance', 1, 26292), ('nova', 2, 26774), ('neutron', 3, 26696),
            ('heat', 4, 26004), ('magnum', 5, 26511))
# bench0: the converged re-runs, bench1: the slow create, bench2: scale; they run at the same time. All three fit
# in --port-base .. --port-base + 25.
PROXY_OFFSETS = {'bench0': 0, 'bench1': 10, 'bench2': 20}
port_base = 29000
AUTH_CACHE = OUT / 'auth-cache'
KEPT_CACHE = OUT / 'auth-cache-kept'
# The real-cloud latency model the benchmark's proxies apply to both sides (fault rules of action latency; the first
# rule that matches a request applies; see docs/benchmarks.md for where the figures come from). The Kubernetes API
# is not behind the proxies: its requests keep the local emulator's times on both sides.
LATENCY_MODEL = [
    {'name': 'password authentication', 'service': 'keystone', 'method': 'POST', 'path': '^/v3/auth/tokens',
     'action': 'latency', 'seconds': 0.8},
    {'name': 'Magnum list', 'service': 'magnum', 'method': 'GET',
     'path': '^/v1/(clusters|clustertemplates)(/detail)?/?([?]|$)', 'action': 'latency', 'seconds': 0.3},
    {'name': 'any other request', 'service': '*', 'method': '*', 'path': '', 'action': 'latency', 'seconds': 0.15},
]
# Our sides of the converged re-run: no cache, the cache emptied before each run, the cache kept between runs, the
# cache emptied with every module run as a process of its own (coe_magnum_in_process=false, what ansible-core does
# without the collection's action); and the floor: five module tasks that do nothing (tests/bench/floor-site.yml),
# what ansible-core alone costs a play of site.yml's five module steps run as processes.
RERUN_SIDES = ('ours', 'ours_cached', 'ours_cache_kept', 'ours_processes', 'floor')
RERUN_SIDE_NAMES = ('ours', 'ours+cache', 'ours+cache kept', 'ours+cache, module processes', 'floor')
FLOOR_COLLECTIONS = OUT / 'floor-collections'
FLOOR_STEPS = ('template', 'cluster', 'kubeconfig', 'ports', 'storage')
# Each step of the floor: a module that starts, reads its arguments and exits. Five distinct modules, as site.yml's
# five steps are, since ansible-core builds each distinct module's payload once per playbook run.
FLOOR_MODULE = '''from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(name=dict(type='str')), supports_check_mode=True)
    module.exit_json(changed=False)


if __name__ == '__main__':
    main()
'''

sys.path.insert(0, str(ROOT / 'tests' / 'localcloud'))
from localcloud.config import BACKEND_OFFSET  # noqa: E402
import importtime  # noqa: E402  (tests/bench, this script's directory)
from localcloud.faults import log_position, read_requests, set_faults  # noqa: E402


def log(message):
    print('[%s] %s' % (time.strftime('%H:%M:%S'), message), flush=True)


# ---- peer virtualenv -------------------------------------------------------------------------------------------
PEER_VERSION_MODULE = '''# Written by coe.magnum's tests/bench/run.py: openstack.cloud 2.5.0 reads
# openstack.version.__version__, which openstacksdk 4.22 no longer imports.
import importlib.metadata

__version__ = importlib.metadata.version('openstacksdk')
'''
PEER_IMPORT_LINE = 'from openstack import version  # noqa: F401  (coe.magnum bench: openstack.cloud 2.5.0)\n'


def peer_python():
    return PEER_VENV / 'bin' / 'python'


def ensure_peer_venv():
    if not (PEER_VENV / 'bin' / 'ansible-playbook').exists():
        log('creating the peer virtualenv %s (%s)' % (PEER_VENV, ', '.join(PEER_REQUIREMENTS)))
        subprocess.run([sys.executable, '-m', 'venv', str(PEER_VENV)], check=True)
        subprocess.run([str(peer_python()), '-m', 'pip', 'install', '-q'] + PEER_REQUIREMENTS, check=True)
    where = 'import openstack, os; print(os.path.dirname(openstack.__file__))'
    site = subprocess.run([str(peer_python()), '-c', where], check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / 'version.py').write_text(PEER_VERSION_MODULE)
    init = Path(site) / '__init__.py'
    text = init.read_text()
    if PEER_IMPORT_LINE not in text:
        init.write_text(text + '\n' + PEER_IMPORT_LINE)
    versions = subprocess.run(
        [str(peer_python()), '-c', 'import importlib.metadata as m; '
         'print(m.version("ansible"), m.version("ansible-core"), m.version("openstacksdk"))'],
        check=True, capture_output=True, text=True).stdout.split()
    return dict(zip(('ansible', 'ansible_core', 'openstacksdk'), versions))


# ---- proxies and clouds ----------------------------------------------------------------------------------------
def runs_dir():
    """Per port base, so invocations that overlap (each with its own proxies) never share a run's files."""
    return OUT / 'runs' / str(port_base)


def proxy_bases():
    return dict((cloud, port_base + offset) for cloud, offset in PROXY_OFFSETS.items())


def request_log(cloud):
    return OUT / ('requests-%s-%d.jsonl' % (cloud, port_base))


def clouds_file():
    return OUT / ('clouds-%d.yaml' % port_base)


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(('127.0.0.1', port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError('proxy port %d does not answer' % port)


def start_proxies():
    processes = {}
    faults = OUT / 'faults-none.json'
    faults.write_text('{"rules": []}\n')
    for cloud, base in proxy_bases().items():
        command = [str(LOCALCLOUD_HOME / 'venv' / 'bin' / 'python'), '-m', 'localcloud.proxy',
                   '--log', str(request_log(cloud)), '--faults', str(faults)]
        for service, offset, backend in SERVICES:
            command += ['--route', '%s=%d:%d' % (service, base + offset, backend),
                        '--catalog-port', '%d=%d' % (backend - BACKEND_OFFSET, base + offset)]
        request_log(cloud).unlink(missing_ok=True)
        processes[cloud] = subprocess.Popen(command, cwd=str(ROOT / 'tests' / 'localcloud'),
                                            stdout=subprocess.DEVNULL, stderr=open(OUT / ('proxy-%s.log' % cloud), 'w'))
        for _service, offset, _backend in SERVICES:
            wait_port(base + offset)
    return processes


def write_clouds(scale=None):
    """bench0 and bench1 are the admin of the admin project; bench2 the scale project's member when `scale` holds
    its credentials (create_scale_project)."""
    import yaml
    source = yaml.safe_load((LOCALCLOUD_HOME / 'clouds.yaml').read_text())['clouds']['localcloud']
    clouds = {}
    for cloud, base in proxy_bases().items():
        entry = json.loads(json.dumps(source))
        if cloud == 'bench2' and scale:
            entry['auth'] = dict(scale['auth'], auth_url=entry['auth']['auth_url'])
        # Our Keystone proxy hands out catalogs that name our proxies' ports (--catalog-port), so clients find
        # every service as through a real catalog: endpoint overrides would add version requests of their own.
        entry['auth']['auth_url'] = 'http://127.0.0.1:%d/v3' % base
        clouds[cloud] = entry
    path = clouds_file()
    path.write_text(yaml.safe_dump({'clouds': clouds}))
    path.chmod(0o600)
    return path


def admin_connection():
    import openstack
    return openstack.connect(cloud='localcloud')


# ---- one ansible-playbook run ----------------------------------------------------------------------------------
def run_playbook(label, playbook, extra_vars, cloud='bench0', peer=False, check=True, env_extra=None):
    timeline = runs_dir() / ('%s.timeline.jsonl' % label)
    timeline.parent.mkdir(parents=True, exist_ok=True)
    timeline.unlink(missing_ok=True)
    vars_file = runs_dir() / ('%s.vars.json' % label)
    vars_file.write_text(json.dumps(extra_vars))
    env = dict(os.environ, OS_CLOUD=cloud, OS_CLIENT_CONFIG_FILE=str(clouds_file()), BENCH_TIMELINE=str(timeline),
               ANSIBLE_CALLBACK_PLUGINS=str(BENCH_DIR / 'callback_plugins'), ANSIBLE_CALLBACKS_ENABLED='bench_timeline',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_NOCOLOR='1',
               ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_DEPRECATION_WARNINGS='false')
    env.pop('COE_MAGNUM_AUTH_CACHE', None)
    env.update(env_extra or {})
    binary = (PEER_VENV / 'bin' / 'ansible-playbook') if peer else (OURS_BIN / 'ansible-playbook')
    log_path = request_log(cloud)
    position = log_position(str(log_path))
    started = time.time()
    with open(runs_dir() / ('%s.log' % label), 'w') as output:
        result = subprocess.run([str(binary), str(playbook), '-e', '@%s' % vars_file], env=env, cwd=str(ROOT),
                                stdout=output, stderr=subprocess.STDOUT)
    ended = time.time()
    time.sleep(0.2)
    requests = read_requests(str(log_path), offset=position)
    tasks = [json.loads(line) for line in timeline.read_text().splitlines()] if timeline.exists() else []
    if check and result.returncode != 0:
        raise RuntimeError('%s failed (rc %d): see %s' % (label, result.returncode,
                                                            runs_dir() / ('%s.log' % label)))
    return {'label': label, 'rc': result.returncode, 'wall': ended - started, 'start': started, 'end': ended,
            'requests': requests, 'tasks': tasks}


def write_floor_collection():
    """The collection bench.floor of tests/bench/floor-site.yml, under .build/bench."""
    modules = FLOOR_COLLECTIONS / 'ansible_collections' / 'bench' / 'floor' / 'plugins' / 'modules'
    modules.mkdir(parents=True, exist_ok=True)
    for step in FLOOR_STEPS:
        (modules / ('%s.py' % step)).write_text(FLOOR_MODULE)


def per_service(requests):
    return dict(sorted(collections.Counter(r['service'] for r in requests).items()))


def per_task(run):
    """Requests in each task's time window (tasks run one after another on one host)."""
    rows = []
    for task in run['tasks']:
        inside = [r for r in run['requests'] if task['start'] <= r['time'] < task['end']]
        if inside or task['action'] not in ('ansible.builtin.debug', 'debug', 'ansible.builtin.set_fact', 'set_fact'):
            rows.append({'task': task['name'], 'action': task['action'], 'requests': len(inside),
                         'seconds': round(task['end'] - task['start'], 2), 'changed': task['changed'],
                         'by_service': per_service(inside)})
    return rows


def median(values):
    return round(statistics.median(values), 2) if values else None


# ---- 1. converged re-runs --------------------------------------------------------------------------------------
def template_name():
    return site_cluster + '-k8s'


def delay_cluster():
    return site_cluster + '-delay'


def kubeconfig_dir():
    return OUT / ('kubeconfig-%s' % site_cluster)


def site_vars():
    # The cluster check (roles/cluster_check, on in the local cloud's variables) is left out: the peer has no
    # such step, and the first run is measured for template, cluster, kubeconfig, ports and storage.
    return {'cluster_name': site_cluster, 'cluster_template_name': template_name(),
            'cluster_config_dest': str(kubeconfig_dir()), 'cluster_poll_interval': 5, 'cluster_check_enabled': False}


def peer_vars(conn):
    """The peer playbook's variables: what a user would write to describe the state site.yml converged to."""
    from kubernetes import client, config
    magnum = conn.container_infrastructure_management
    template = next(t for t in magnum.cluster_templates() if t.name == template_name())
    cluster = next(c for c in magnum.clusters() if c.name == site_cluster)
    worker_group = next(r.physical_resource_id for r in conn.orchestration.resources(cluster.stack_id)
                        if r.name == 'secgroup_kube_minion')
    site = yaml_load(ROOT / 'playbooks' / 'vars' / 'localcloud.yml')
    kubeconfig = str(kubeconfig_dir() / 'config')
    api = client.ApiClient(config.new_client_from_config(kubeconfig).configuration)
    storage = client.StorageV1Api(api).read_storage_class(site['storage_class_name'])
    storage_class = {'apiVersion': 'storage.k8s.io/v1', 'kind': 'StorageClass',
                     'metadata': {'name': storage.metadata.name, 'annotations': storage.metadata.annotations or {}},
                     'provisioner': storage.provisioner, 'parameters': storage.parameters or {},
                     'reclaimPolicy': storage.reclaim_policy, 'volumeBindingMode': storage.volume_binding_mode}
    if storage.allow_volume_expansion is not None:
        storage_class['allowVolumeExpansion'] = storage.allow_volume_expansion
    claims = []
    for wanted in site['storage_class_claims']:
        claim = client.CoreV1Api(api).read_namespaced_persistent_volume_claim(wanted['name'], wanted['namespace'])
        claims.append({'apiVersion': 'v1', 'kind': 'PersistentVolumeClaim',
                       'metadata': {'name': claim.metadata.name, 'namespace': claim.metadata.namespace},
                       'spec': {'accessModes': claim.spec.access_modes,
                                'storageClassName': claim.spec.storage_class_name,
                                'resources': {'requests': claim.spec.resources.requests}}})
    return {
        'peer_template': {
            'name': template.name, 'coe': template.coe, 'image_id': template.image_id,
            'keypair_id': template.keypair_id, 'external_network_id': template.external_network_id,
            'dns_nameserver': template.dns_nameserver, 'network_driver': template.network_driver,
            'volume_driver': template.volume_driver, 'flavor_id': template.flavor_id,
            'master_flavor_id': template.master_flavor_id, 'labels': template.labels,
            'floating_ip_enabled': template.is_floating_ip_enabled, 'master_lb_enabled': template.is_master_lb_enabled},
        'peer_cluster': {'name': cluster.name, 'master_count': site['cluster_master_count'],
                         'node_count': site['cluster_node_count']},
        'peer_worker_group': worker_group,
        'peer_port_rules': port_rules_as_stored(conn, worker_group, site['cluster_ports_rules']),
        'peer_kubeconfig': kubeconfig,
        'peer_storage_class': storage_class,
        'peer_claims': claims,
    }


def port_rules_as_stored(conn, group_id, wanted):
    """The peer matches a rule on every field it is given, description included: use the stored ones."""
    stored = list(conn.network.security_group_rules(security_group_id=group_id))
    rules = []
    for rule in wanted:
        match = next((r for r in stored if r.direction == 'ingress' and r.protocol == rule['protocol']
                      and r.port_range_min == rule['port'] and r.remote_ip_prefix == rule['remote_ip_prefix']), None)
        rules.append(dict(rule, description=match.description if match else rule.get('description')))
    return rules


def yaml_load(path):
    import yaml
    return yaml.safe_load(Path(path).read_text())


def summarise_rerun(runs):
    counts = [len(r['requests']) for r in runs]
    services = sorted({s for r in runs for s in per_service(r['requests'])})
    return {'runs': len(runs), 'wall_median': median([r['wall'] for r in runs]),
            'wall_all': [round(r['wall'], 2) for r in runs], 'requests_median': median(counts), 'requests_all': counts,
            'by_service_median': {s: median([per_service(r['requests']).get(s, 0) for r in runs]) for s in services},
            'changed': [sum(t['changed'] for t in r['tasks']) for r in runs],
            'failed_tasks': [sum(t['failed'] for t in r['tasks']) for r in runs],
            'per_task_last_run': per_task(runs[-1])}


def first_run_figures(conn, converge):
    """What site.yml's first run costs beyond Magnum's own build: the playbook's wall time less the time from the
    cluster's creation to its last status change (created_at to updated_at, which Magnum sets when the cluster
    reaches CREATE_COMPLETE). Meaningful only when the run created the cluster (`created_by_the_run`)."""
    import datetime
    cluster = conn.container_infrastructure_management.find_cluster(site_cluster, ignore_missing=True)
    if cluster is None or not cluster.created_at or not cluster.updated_at:
        return {'error': 'no cluster %s with created_at and updated_at' % site_cluster}

    def epoch(text):
        moment = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
        return (moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)).timestamp()
    build = epoch(cluster.updated_at) - epoch(cluster.created_at)
    return {'wall': round(converge['wall'], 2), 'magnum_build_seconds': round(build, 2),
            'overhead_seconds': round(converge['wall'] - build, 2), 'status': cluster.status,
            'created_by_the_run': epoch(cluster.created_at) >= converge['start'] - 5,
            'requests': len(converge['requests'])}


def bench_rerun(runs_wanted, conn, latency_model=True):
    log('1. converge site.yml once (template, cluster, kubeconfig, ports, StorageClass and claim)')
    converge = run_playbook('site-converge', ROOT / 'playbooks' / 'site.yml',
                            dict(yaml_load(ROOT / 'playbooks' / 'vars' / 'localcloud.yml'), **site_vars()))
    log('   converged in %.1f s, %d requests' % (converge['wall'], len(converge['requests'])))
    first_run = first_run_figures(conn, converge)
    log('   first run: %s' % first_run)
    variables = peer_vars(conn)
    log('   peer converge (first peer run adds nothing site.yml lacks; not measured)')
    run_playbook('peer-converge', BENCH_DIR / 'peer-site.yml', variables, peer=True, check=False)
    site = dict(yaml_load(ROOT / 'playbooks' / 'vars' / 'localcloud.yml'), **site_vars())
    write_floor_collection()
    # A cache that outlives the playbook run (a workstation, a CI runner's home), filled by one run not measured.
    shutil.rmtree(KEPT_CACHE, ignore_errors=True)
    run_playbook('site-rerun-kept-fill', ROOT / 'playbooks' / 'site.yml', site,
                 env_extra={'COE_MAGNUM_AUTH_CACHE': str(KEPT_CACHE)})
    sides = {
        # Each side sets the cache explicitly, so the figures do not depend on the collection's default.
        'ours': lambda label: run_playbook(label, ROOT / 'playbooks' / 'site.yml', site,
                                           env_extra={'COE_MAGNUM_AUTH_CACHE': '0'}),
        # Each cached run starts from an empty cache: one authentication per playbook run, as a scheduled job sees.
        'ours_cached': lambda label: (shutil.rmtree(AUTH_CACHE, ignore_errors=True), run_playbook(
            label, ROOT / 'playbooks' / 'site.yml', site, env_extra={'COE_MAGNUM_AUTH_CACHE': str(AUTH_CACHE)}))[1],
        'ours_processes': lambda label: (shutil.rmtree(AUTH_CACHE, ignore_errors=True), run_playbook(
            label, ROOT / 'playbooks' / 'site.yml', dict(site, coe_magnum_in_process=False),
            env_extra={'COE_MAGNUM_AUTH_CACHE': str(AUTH_CACHE)}))[1],
        'ours_cache_kept': lambda label: run_playbook(label, ROOT / 'playbooks' / 'site.yml', site,
                                                      env_extra={'COE_MAGNUM_AUTH_CACHE': str(KEPT_CACHE)}),
        'peer': lambda label: run_playbook(label, BENCH_DIR / 'peer-site.yml', variables, peer=True, check=False),
        'floor': lambda label: run_playbook(label, BENCH_DIR / 'floor-site.yml', {}, env_extra={
            'ANSIBLE_COLLECTIONS_PATH': str(FLOOR_COLLECTIONS)}),
    }
    conditions = [('local', None)] + ([('model', LATENCY_MODEL)] if latency_model else [])
    runs = dict(((condition, side), []) for condition, _rules in conditions for side in sides)
    faults = OUT / 'faults-none.json'
    for index in range(runs_wanted):
        # Interleaved: every side under every condition once per round, so a change of the machine's load weighs on
        # all of them alike.
        for condition, rules in conditions:
            set_faults(str(faults), rules or [])
            for side, run in sides.items():
                record = run('site-rerun-%s-%s-%d' % (condition, side, index))
                record['load_average'] = os.getloadavg()[0]
                runs[(condition, side)].append(record)
            log('   re-run %d (%s): %s' % (index + 1, condition, ', '.join(
                '%s %.1f s / %d' % (side, runs[(condition, side)][-1]['wall'],
                                    len(runs[(condition, side)][-1]['requests'])) for side in sides)))
    set_faults(str(faults), [])
    shutil.rmtree(AUTH_CACHE, ignore_errors=True)
    shutil.rmtree(KEPT_CACHE, ignore_errors=True)
    result = {'converge': {'wall': round(converge['wall'], 2), 'requests': len(converge['requests']),
                           'by_service': per_service(converge['requests'])}, 'first_run': first_run}
    for condition, _rules in conditions:
        part = dict((side, summarise_rerun(runs[(condition, side)])) for side in sides)
        for side in RERUN_SIDES:
            part[side]['ratio_requests'] = round(part[side]['requests_median'] / part['peer']['requests_median'], 2)
            part[side]['ratio_wall'] = round(part[side]['wall_median'] / part['peer']['wall_median'], 2)
        part['load_average'] = [round(min(r['load_average'] for side in sides for r in runs[(condition, side)]), 2),
                                round(max(r['load_average'] for side in sides for r in runs[(condition, side)]), 2)]
        if condition == 'local':
            result.update(part)
        else:
            result['latency_model'] = dict(part, rules=LATENCY_MODEL)
    return result


# ---- 2. a slow create ------------------------------------------------------------------------------------------
def wait_for_template(conn, timeout=1800):
    """The slow create starts with the converge and uses its template once it exists."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(t.name == template_name() for t in conn.container_infrastructure_management.cluster_templates()):
            return
        time.sleep(5)
    raise RuntimeError('template %s never appeared' % template_name())


def in_background(target, holder, *args):
    def body():
        try:
            target(holder, *args)
        except Exception as exc:  # reported in the table, the other measurements go on
            holder['error'] = repr(exc)
    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread


def bench_delay(delay, conn, holder):
    wait_for_template(conn)
    try:
        watch = {}
        done = threading.Event()
        watcher = threading.Thread(target=watch_completion, args=(conn, delay_cluster(), watch, done), daemon=True)
        watcher.start()
        try:
            run = run_playbook('delay', BENCH_DIR / 'delay.yml',
                               {'bench_cluster': delay_cluster(), 'bench_template': template_name(),
                                'bench_delay': str(delay)},
                               cloud='bench1')
        finally:
            done.set()
            watcher.join()
        cluster = conn.container_infrastructure_management.find_cluster(delay_cluster(), ignore_missing=False)
        holder.update(delay_figures(run, delay, cluster.status, watch))
    except Exception as exc:  # reported in the table, the other measurements go on
        holder['error'] = repr(exc)


def watch_completion(conn, name, watch, done):
    """An observer outside the measured path (the shared proxy, not counted): asks every second, and keeps the
    last time the cluster was seen in progress and the first time it was seen complete."""
    url = conn.container_infrastructure_management.get_endpoint().rstrip('/') + '/clusters/' + name
    while not done.is_set():
        try:
            status = conn.session.get(url, raise_exc=False).json().get('status') or ''
        except Exception:  # an observer's miss costs one second of precision
            status = ''
        answered = time.time()
        if status.endswith('_IN_PROGRESS'):
            watch['last_in_progress'] = answered
        elif status.endswith('_COMPLETE') and 'first_complete' not in watch and 'last_in_progress' in watch:
            watch['first_complete'] = answered
        time.sleep(1)


def delay_figures(run, delay, status, watch):
    """Polling cost and return lag of the slow create, from its run's request log and the observer's times."""
    task = next(t for t in run['tasks'] if t['name'] == 'Create and wait')
    completed = watch['first_complete']
    posts = [r for r in run['requests'] if r['method'] == 'POST' and r['path'].endswith('/clusters')]
    waiting = [r for r in run['requests'] if posts and posts[0]['time'] < r['time'] < task['end']]
    polls = [r for r in waiting if r['service'] == 'magnum' and r['method'] == 'GET']
    gaps = [round(b['time'] - a['time'], 1) for a, b in zip(polls, polls[1:])]
    return {
        'delay_label_seconds': delay, 'status': status,
        'task_seconds': round(task['end'] - task['start'], 1),
        'create_to_complete_seconds': round(completed - posts[0]['time'], 1) if posts else None,
        'requests_total': len(run['requests']), 'requests_while_waiting': len(waiting),
        'polls_while_waiting': len(polls), 'by_service_while_waiting': per_service(waiting),
        'poll_gaps_seconds': gaps,
        'lag_seconds': round(task['end'] - completed, 1),
        'lag_seconds_at_most': round(task['end'] - watch['last_in_progress'], 1),
        'lag_note': 'module return (task end) minus the first time a 1 s observer saw CREATE_COMPLETE; at most: '
                    'minus the last time it saw CREATE_IN_PROGRESS',
        'last_poll_to_return_seconds': round(task['end'] - polls[-1]['time'], 1) if polls else None}


# ---- 4. scale --------------------------------------------------------------------------------------------------
# The scale part works in a project of its own, as a member user of it (cloud bench2, through its own proxies): its
# hundreds of clusters never lengthen the lists other users of the shared cloud read. It is removed at the end.
# Record-only clusters (created with the SDK, not measured) in Magnum's single conductor at a time: other users of
# the shared cloud wait behind at most this many.
CREATE_WINDOW = 10
DELETE_WINDOW = 20


def scale_project_name():
    return '%s-scale-%d' % (PREFIX, port_base)


def scale_template(record_only=False):
    return '%s-%s' % (scale_project_name(), 'record-only' if record_only else 'k8s')


def scale_cluster_names(count):
    return ['%s-scale-%02d' % (PREFIX, index) for index in range(1, count + 1)]


def listed_cluster_names(count):
    return ['%s-listed-%03d' % (PREFIX, index) for index in range(1, count + 1)]


def create_scale_project(admin):
    """A project and a user with the member role in it: the credentials of the scale part's cloud (bench2)."""
    identity = admin.identity
    name = scale_project_name()
    project = identity.find_project(name, domain_id='default') or identity.create_project(
        name=name, domain_id='default', description='coe.magnum benchmark: scale (removed at the end)')
    # A new user rather than a new password: Keystone revokes the user's tokens on a password change, and those
    # issued in the same second as well.
    leftover = identity.find_user(name, domain_id='default')
    if leftover:
        identity.delete_user(leftover)
    password = secrets.token_urlsafe(24)
    user = identity.create_user(name=name, domain_id='default', password=password, default_project_id=project.id)
    identity.assign_project_role_to_user(project, user, identity.find_role('member', ignore_missing=False))
    # By ID: each Keystone worker caches users and projects by name, and may still hold a removed namesake.
    return {'project_id': project.id, 'auth': {'user_id': user.id, 'password': password, 'project_id': project.id}}


def scale_magnum():
    import openstack
    import yaml
    # From our clouds.yaml alone: openstacksdk would read only the file OS_CLIENT_CONFIG_FILE names.
    entry = yaml.safe_load(clouds_file().read_text())['clouds']['bench2']
    return openstack.connect(load_yaml_config=False, load_envvars=False, **entry).container_infrastructure_management


def create_scale_templates(magnum):
    """Two templates of the project (no keypair: its user has none): real clusters, and record-only ones."""
    site = yaml_load(ROOT / 'playbooks' / 'vars' / 'localcloud.yml')
    fields = {'coe': site['cluster_template_coe'], 'image_id': site['cluster_template_image'],
              'external_network_id': site['cluster_template_external_network'],
              'network_driver': site['cluster_template_network_driver'],
              'flavor_id': site['cluster_template_flavor'], 'master_flavor_id': site['cluster_template_master_flavor']}
    labels = {'kube_tag': site['cluster_template_labels']['kube_tag']}
    for record_only in (False, True):
        name = scale_template(record_only)
        if not magnum.find_cluster_template(name):
            magnum.create_cluster_template(
                name=name, labels=dict(labels, localcloud_record_only='true') if record_only else labels, **fields)


def throttled(magnum, names, act, settled, window, timeout=3600):
    """act(name) for every name, with at most `window` of them not yet settled(status) (None: the cluster is gone),
    then wait until all are. Returns the last {name: status} read."""
    def statuses():
        return dict((cluster.name, cluster.status) for cluster in magnum.clusters())

    deadline = time.time() + timeout
    waiting, current = [], {}
    for index, name in enumerate(names):
        while len(waiting) >= window:
            if time.time() > deadline:
                raise RuntimeError('%d clusters not settled after %d s' % (len(waiting), timeout))
            time.sleep(1)
            current = statuses()
            waiting = [n for n in waiting if not settled(current.get(n))]
        act(name)
        waiting.append(name)
        if index % 50 == 49:
            log('   %d of %d requested' % (index + 1, len(names)))
    while waiting:
        if time.time() > deadline:
            raise RuntimeError('%d clusters not settled after %d s' % (len(waiting), timeout))
        time.sleep(2)
        current = statuses()
        waiting = [n for n in waiting if not settled(current.get(n))]
    return current


def create_record_only(magnum, names):
    import openstack
    template_id = magnum.find_cluster_template(scale_template(record_only=True), ignore_missing=False).id

    def create(name):
        for attempt in range(3):
            try:
                magnum.create_cluster(name=name, cluster_template_id=template_id, master_count=1, node_count=1)
                return
            except openstack.exceptions.HttpException as error:
                # A loaded cloud may answer 5xx: asked again unless Magnum took the create after all.
                if (error.status_code or 0) < 500 or attempt == 2:
                    raise
                time.sleep(5)
                if magnum.find_cluster(name):
                    return

    return throttled(magnum, names, create, lambda status: status in ('CREATE_COMPLETE', 'CREATE_FAILED'),
                     CREATE_WINDOW)


def delete_clusters(magnum, names):
    return throttled(magnum, names, lambda name: magnum.delete_cluster(name, ignore_missing=True),
                     lambda status: status in (None, 'DELETE_FAILED'), DELETE_WINDOW)


def bench_scale(holder, count, listed_count, listing_runs):
    magnum = scale_magnum()
    create_scale_templates(magnum)
    template = scale_template()
    log('4. one cluster created and waited for (project %s)' % scale_project_name())
    single = run_playbook('scale-single', BENCH_DIR / 'scale.yml',
                          {'bench_clusters': [SINGLE_CLUSTER], 'bench_state': 'present', 'bench_template': template},
                          cloud='bench2')
    names = scale_cluster_names(count)
    log('   %d clusters from one play (a loop with wait false, then a wait for each)' % count)
    many = run_playbook('scale-many', BENCH_DIR / 'scale.yml',
                        {'bench_clusters': names, 'bench_state': 'present', 'bench_template': template},
                        cloud='bench2')
    request_task, wait_task = many['tasks'][0], many['tasks'][1]
    result = {'count': count, 'single_wall': round(single['wall'], 1), 'single_requests': len(single['requests']),
              'many_wall': round(many['wall'], 1), 'many_requests': len(many['requests']),
              'many_request_task_seconds': round(request_task['end'] - request_task['start'], 1),
              'many_wait_task_seconds': round(wait_task['end'] - wait_task['start'], 1),
              'many_by_service': per_service(many['requests']),
              'ten_times_single': round(count * single['wall'], 1)}
    result['speedup'] = round(result['ten_times_single'] / result['many_wall'], 1)
    holder.update(result)
    log('   the %d clusters deleted from one play' % (count + 1))
    removal = run_playbook('scale-delete', BENCH_DIR / 'scale.yml',
                           {'bench_clusters': [SINGLE_CLUSTER] + names, 'bench_state': 'absent',
                            'bench_template': template}, cloud='bench2')
    holder.update(delete_wall=round(removal['wall'], 1), delete_requests=len(removal['requests']))

    listed = listed_cluster_names(listed_count)
    log('   %d record-only clusters (label localcloud_record_only), at most %d creating at a time'
        % (listed_count, CREATE_WINDOW))
    started = time.time()
    statuses = create_record_only(magnum, listed)
    holder['record_only'] = {'created': sum(1 for name in listed if statuses.get(name) == 'CREATE_COMPLETE'),
                             'create_seconds': round(time.time() - started, 1), 'create_window': CREATE_WINDOW}
    log('   list and info over the project\'s %d clusters (%d runs per side)' % (len(statuses), listing_runs))
    listings, peer_listings, counted = [], [], None
    for index in range(listing_runs):
        counts = runs_dir() / 'listing-counts.json'
        listings.append(run_playbook('listing-%d' % index, BENCH_DIR / 'listing.yml',
                                     {'bench_cluster': listed[listed_count // 2], 'bench_counts': str(counts)},
                                     cloud='bench2'))
        counted = json.loads(counts.read_text())
        peer_listings.append(run_playbook('peer-listing-%d' % index, BENCH_DIR / 'peer-listing.yml',
                                          {'bench_cluster': listed[listed_count // 2]}, peer=True, check=False,
                                          cloud='bench2'))

    def listing_figures(runs):
        figures = {'runs': len(runs), 'wall_median': median([r['wall'] for r in runs]), 'rc': [r['rc'] for r in runs],
                   'requests_median': median([len(r['requests']) for r in runs])}
        for name in ('List every cluster', 'One cluster by name'):
            tasks = [next((t for t in r['tasks'] if t['name'] == name), None) for r in runs]
            inside = [[q for q in r['requests'] if t and t['start'] <= q['time'] < t['end']]
                      for r, t in zip(runs, tasks)]
            figures[name] = {
                'seconds_median': median([t['end'] - t['start'] for t in tasks if t]),
                'seconds_all': [round(t['end'] - t['start'], 2) for t in tasks if t],
                'requests_median': median([len(requests) for requests in inside]),
                'by_service_last_run': per_service(inside[-1])}
        return figures

    holder['listing'] = dict(listing_figures(listings), clusters_listed=counted['listed'] if counted else None)
    holder['peer_listing'] = listing_figures(peer_listings)
    log('   the %d record-only clusters deleted, at most %d at a time' % (listed_count, DELETE_WINDOW))
    started = time.time()
    delete_clusters(magnum, listed)
    holder['record_only']['delete_seconds'] = round(time.time() - started, 1)


def remove_scale_project(admin):
    """Whatever the scale part left in its project, then its templates, user and project."""
    log('clean-up: the scale project %s' % scale_project_name())
    identity = admin.identity
    project = identity.find_project(scale_project_name(), domain_id='default')
    if project is None:
        return
    magnum = scale_magnum()
    left = delete_clusters(magnum, [cluster.name for cluster in magnum.clusters()])
    if left:
        log('   clusters left (%s): the project is kept' % ', '.join('%s %s' % item for item in sorted(left.items())))
        return
    for template in list(magnum.cluster_templates()):
        magnum.delete_cluster_template(template, ignore_missing=True)
    user = identity.find_user(scale_project_name(), domain_id='default')
    if user:
        identity.delete_user(user)
    identity.delete_project(project)


# ---- clean-up --------------------------------------------------------------------------------------------------
def cleanup():
    log('clean-up: the slow create\'s cluster, then site.yml teardown (claims, cluster, template)')
    run_playbook('cleanup-clusters', BENCH_DIR / 'scale.yml',
                 {'bench_clusters': [delay_cluster()], 'bench_state': 'absent',
                  'bench_template': template_name()}, check=False)
    # The claim is Bound to a volume the benchmark made: teardown removes it only when told to.
    run_playbook('cleanup-site', ROOT / 'playbooks' / 'teardown.yml',
                 dict(yaml_load(ROOT / 'playbooks' / 'vars' / 'localcloud.yml'), storage_class_delete_bound_claims=True,
                      **site_vars()), check=False)


# ---- tables ----------------------------------------------------------------------------------------------------
def table(title, header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)] if rows else [len(h) for h in header]
    lines = ['', title, '  '.join(str(h).ljust(w) for h, w in zip(header, widths)),
             '  '.join('-' * w for w in widths)]
    lines += ['  '.join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    text = '\n'.join(lines)
    print(text, flush=True)
    return text


def scale_rows(scale):
    """The scale table: whatever the part measured before it stopped, then its error if it had one."""
    count = scale.get('count')
    rows = []
    if 'many_wall' in scale:
        rows += [('one create + wait (s)', scale['single_wall']),
                 ('%d x one create (s)' % count, scale['ten_times_single']),
                 ('%d creates from one play (s)' % count, scale['many_wall']),
                 ('  request loop (s) / wait loop (s)', '%s / %s' % (scale['many_request_task_seconds'],
                                                                    scale['many_wait_task_seconds'])),
                 ('  speed-up', scale['speedup']),
                 ('  requests (one play)', '%d (%s)' % (scale['many_requests'], ' '.join(
                     '%s=%d' % item for item in scale['many_by_service'].items())))]
    if 'delete_wall' in scale:
        rows.append(('%d deletes from one play (s) / requests' % (count + 1),
                     '%s / %s' % (scale['delete_wall'], scale['delete_requests'])))
    record_only = scale.get('record_only', {})
    if record_only:
        rows.append(('record-only clusters created / seconds (%d at a time)' % record_only['create_window'],
                     '%s / %s' % (record_only['created'], record_only['create_seconds'])))
    if 'peer_listing' in scale:
        listing, peer = scale['listing'], scale['peer_listing']
        rows.append(('clusters in the project listed (runs per side)',
                     '%s (%s)' % (listing['clusters_listed'], listing['runs'])))
        for task, title in (('List every cluster', 'list all'), ('One cluster by name', 'info by name')):
            for side, figures in (('ours', listing), ('peer', peer)):
                rows.append(('%s: seconds / requests (%s, median)' % (title, side),
                             '%s / %s' % (figures[task]['seconds_median'], figures[task]['requests_median'])))
    if 'delete_seconds' in record_only:
        rows.append(('record-only clusters deleted (s)', record_only['delete_seconds']))
    if 'error' in scale:
        rows.append(('error', scale['error']))
    return rows


def rerun_tables(title, rerun):
    texts = []
    sides = [rerun[side] for side in RERUN_SIDES if side in rerun]
    peer = rerun['peer']
    services = sorted(set(peer['by_service_median']).union(*(side['by_service_median'] for side in sides)))

    def ratio(a, b):
        return round(a / b, 2) if b else '-'

    def row(label, key):
        return tuple([label] + [side[key] for side in sides] + [peer[key]]
                     + [ratio(side[key], peer[key]) for side in sides])
    rows = [row('wall seconds (median of %d)' % peer['runs'], 'wall_median'),
            row('HTTP requests (median)', 'requests_median')]
    for service in services:
        figures = [side['by_service_median'].get(service, 0) for side in sides + [peer]]
        rows.append(tuple(['  ' + service] + figures + [ratio(f, figures[-1]) for f in figures[:-1]]))
    rows.append(tuple(['wall seconds, each run'] + [' '.join('%.1f' % w for w in side['wall_all'])
                                                    for side in sides + [peer]] + [''] * len(sides)))
    rows.append(tuple(['changed tasks per run'] + [side['changed'] for side in sides + [peer]]
                      + [''] * len(sides)))
    names = [name for side, name in zip(RERUN_SIDES, RERUN_SIDE_NAMES) if side in rerun]
    if rerun.get('load_average'):
        title += ' (load average %s-%s)' % tuple(rerun['load_average'])
    texts.append(table(title, tuple([''] + names + ['peer'] + ['%s/peer' % name for name in names]), rows))
    for side in [name for name in RERUN_SIDES if name in rerun] + ['peer']:
        texts.append(table('   requests per task (%s, last run)' % side,
                           ('task', 'requests', 'seconds', 'by service'),
                           [(t['task'][:60], t['requests'], t['seconds'],
                             ' '.join('%s=%d' % i for i in t['by_service'].items()))
                            for t in rerun[side]['per_task_last_run']]))
    return texts


def print_tables(results):
    texts = []
    rerun = results.get('rerun')
    if rerun:
        texts += rerun_tables('1. Converged re-run on the local cloud: site.yml (coe.magnum) vs openstack.cloud + '
                              'kubernetes.core', rerun)
        first = rerun.get('first_run')
        if first:
            texts.append(table('0. First run of site.yml from nothing (template, cluster, kubeconfig, ports, storage)',
                               ('figure', 'value'), [(key, value) for key, value in first.items()]))
        if rerun.get('latency_model'):
            texts += rerun_tables('1b. The same re-run under the real-cloud latency model (%s)' % '; '.join(
                '%s %g s' % (rule['name'], rule['seconds']) for rule in rerun['latency_model']['rules']),
                rerun['latency_model'])
    delay = results.get('delay')
    if delay:
        if 'error' in delay:
            rows = [('error', delay['error'])]
        else:
            rows = [(k, delay[k]) for k in ('delay_label_seconds', 'status', 'create_to_complete_seconds',
                                            'task_seconds',
                                            'requests_while_waiting', 'polls_while_waiting', 'lag_seconds',
                                            'lag_seconds_at_most',
                                            'last_poll_to_return_seconds')]
            rows.append(('poll gaps (s)', ' '.join(str(g) for g in delay['poll_gaps_seconds'])))
        texts.append(table('2. A slow create (one run): localcloud_delay label, wait=true', ('figure', 'value'), rows))
    startup = results.get('startup')
    if startup:
        texts.append(table(importtime.STARTUP_TITLE % 3, importtime.STARTUP_HEADER, importtime.startup_rows(startup)))
    scale = results.get('scale')
    if scale:
        texts.append(table('4. Scale', ('figure', 'value'), scale_rows(scale)))
    return '\n'.join(texts)


def main():
    global site_cluster, port_base
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=5, help='re-runs per side for medians')
    parser.add_argument('--delay', type=int, default=300, help='localcloud_delay of the slow create (seconds)')
    parser.add_argument('--scale', type=int, default=10, help='clusters created from one play')
    parser.add_argument('--listed', type=int, default=200,
                        help='record-only clusters (label localcloud_record_only) the list and info playbooks read')
    parser.add_argument('--listing-runs', type=int, default=3, help='runs per side of the list and info playbooks')
    parser.add_argument('--site-cluster', default=SITE_CLUSTER, help="site.yml's cluster name")
    parser.add_argument('--port-base', type=int, default=port_base,
                        help='first port of the proxies (3 x 6 ports, up to port-base + 25)')
    parser.add_argument('--skip', action='append', default=[], choices=['rerun', 'delay', 'startup', 'scale'])
    parser.add_argument('--no-latency-model', action='store_true',
                        help='re-runs on the local cloud only, not also under the real-cloud latency model')
    args = parser.parse_args()
    site_cluster, port_base = args.site_cluster, args.port_base
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.time()
    results = {'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(started)), 'machine': {
        'cpus': os.cpu_count(), 'load_average_at_start': os.getloadavg()}}
    log('peer virtualenv')
    results['peer_versions'] = ensure_peer_venv()
    proxies = start_proxies()
    threads, scale = [], None
    # The site cluster and its template serve the re-runs and the slow create.
    converge = 'rerun' not in args.skip or 'delay' not in args.skip
    try:
        conn = admin_connection()
        if 'scale' not in args.skip:
            scale = create_scale_project(conn)
        write_clouds(scale)
        if 'delay' not in args.skip:
            log('2. slow create (localcloud_delay=%d) in the background, through its own proxy' % args.delay)
            results['delay'] = {}
            threads.append(in_background(lambda holder: bench_delay(args.delay, conn, holder), results['delay']))
        if 'scale' not in args.skip:
            log('4. scale in the background, through its own proxy')
            results['scale'] = {}
            threads.append(in_background(bench_scale, results['scale'], args.scale, args.listed,
                                         args.listing_runs))
        if 'rerun' not in args.skip:
            results['rerun'] = bench_rerun(args.runs, conn, latency_model=not args.no_latency_model)
        elif converge:
            run_playbook('site-converge', ROOT / 'playbooks' / 'site.yml',
                         dict(yaml_load(ROOT / 'playbooks' / 'vars' / 'localcloud.yml'), **site_vars()))
        if 'startup' not in args.skip:
            log('3. module start-up')
            results['startup'] = importtime.bench_startup()
        for thread in threads:
            log('   waiting for the background measurements')
            thread.join()
    finally:
        try:
            if converge:
                cleanup()
            if scale:
                remove_scale_project(admin_connection())
        finally:
            for process in proxies.values():
                process.terminate()
            for process in proxies.values():
                process.wait(timeout=30)
            shutil.rmtree(kubeconfig_dir(), ignore_errors=True)
            for cache in (AUTH_CACHE, KEPT_CACHE):
                shutil.rmtree(cache, ignore_errors=True)
            clouds_file().unlink(missing_ok=True)
    results['load_average_at_end'] = os.getloadavg()
    results['total_seconds'] = round(time.time() - started, 1)
    previous = OUT / 'results.json'
    if args.skip and previous.exists():
        # Everything this run did not measure is carried over: the skipped parts and any notes kept with them.
        earlier = json.loads(previous.read_text())
        results = dict(earlier, **results)
        results['kept_from_previous_results'] = [part for part in args.skip if part in earlier]
    text = print_tables(results)
    previous.write_text(json.dumps(results, indent=2, default=str))
    (OUT / 'tables.txt').write_text(text + '\n')
    log('results: %s (total %.0f s)' % (OUT / 'results.json', results['total_seconds']))


if __name__ == '__main__':
    main()
