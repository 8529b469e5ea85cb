"""playbooks/site.yml and teardown.yml against the local cloud, the way users run them.

One converge is shared by the tests of this module, which run in file order: converge, the kubeconfig and
ports it produced, a re-run with no changes, an AWX-style job and check-mode job through ansible-runner, then
teardown and a search of the cloud for anything left of it. Names carry a random suffix so that other test
runs on the same cloud cannot collide with these.

    eval "$(tests/localcloud/bin/localcloud env)"    # the local cloud must be up (make localcloud-up)
    .venv/bin/python -m pytest tests/playbooks
"""

import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import openstack
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from show_cluster import cluster_view  # noqa: E402

# openstacksdk warns about its own deprecated internals on every call.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning", "ignore::DeprecationWarning")

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCALCLOUD = REPO / "tests" / "localcloud" / "bin" / "localcloud"
LOCALCLOUD_VARS = REPO / "playbooks" / "vars" / "localcloud.yml"
# COE_MAGNUM_TEST_DRIVER=capi-helm runs the tier on the real magnum-capi-helm driver (its variables on top).
DRIVER = os.environ.get("COE_MAGNUM_TEST_DRIVER") or "heat"
DRIVER_VARS = {"heat": [], "capi-helm": [REPO / "playbooks" / "vars" / "localcloud-capi-helm.yml"]}[DRIVER]
# cinder-csi-plugin's --cluster value, in the metadata of every volume it makes.
CSI_CLUSTER_METADATA = "cinder.csi.openstack.org/cluster"
PLAYBOOK_TIMEOUT = 900
RECAP = re.compile(r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
                   r"\s+failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)"
                   r"\s+ignored=(?P<ignored>\d+)", re.MULTILINE)


class Run:
    def __init__(self, name, returncode, output, log_path):
        self.name = name
        self.returncode = returncode
        self.output = output
        self.log_path = log_path
        self.recap = {match["host"]: {key: int(value) for key, value in match.groupdict().items() if key != "host"}
                      for match in RECAP.finditer(output)}

    @property
    def host(self):
        return self.recap.get("localhost", {})

    def explain(self):
        tail = "\n".join(self.output.splitlines()[-60:])
        return f"{self.name} exited {self.returncode}, recap {self.host} (full output: {self.log_path}):\n{tail}"


def recap_of(text):
    return Run("", 0, text, "").host


def localcloud_environment():
    """OS_CLOUD, OS_CLIENT_CONFIG_FILE and LOCALCLOUD_HOME as `localcloud env` prints them."""
    printed = subprocess.run([str(LOCALCLOUD), "env"], check=True, capture_output=True, text=True).stdout
    return dict(re.findall(r"^export (\w+)=(.*)$", printed, re.MULTILINE))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("playbooks")


@pytest.fixture(scope="module")
def collections_path(workdir):
    """The collection as Ansible finds it: the caller's tree (make builds one) or a link to this checkout."""
    if os.environ.get("ANSIBLE_COLLECTIONS_PATH"):
        return os.environ["ANSIBLE_COLLECTIONS_PATH"]
    root = workdir / "collections"
    (root / "ansible_collections" / "coe").mkdir(parents=True)
    (root / "ansible_collections" / "coe" / "magnum").symlink_to(REPO)
    return str(root)


@pytest.fixture(scope="module")
def cloud(collections_path):
    """The environment of a user of the local cloud, and an openstacksdk connection to look at the cloud."""
    environment = {**os.environ, **localcloud_environment(), "ANSIBLE_COLLECTIONS_PATH": collections_path,
                   "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    loader = openstack.config.OpenStackConfig(config_files=[environment["OS_CLIENT_CONFIG_FILE"]])
    connection = openstack.connection.Connection(config=loader.get_one(cloud=environment["OS_CLOUD"]))
    try:
        connection.authorize()
    except openstack.exceptions.SDKException as error:
        pytest.fail(f"the local cloud does not answer ({error}); start it with `make localcloud-up`")
    return {"env": environment, "sdk": connection}


@pytest.fixture(scope="module")
def names(workdir):
    suffix = secrets.token_hex(3)
    return {
        "cluster_name": f"pbt-{suffix}",
        "cluster_template_name": f"pbt-{suffix}-k8s",
        "cluster_config_dest": str(workdir / "kubeconfig"),
    }


@pytest.fixture(scope="module")
def run_playbook(cloud, workdir, names):
    """ansible-playbook PLAYBOOK -e @localcloud.yml -e @<this run's names> [more arguments]."""
    names_file = workdir / "names.yml"
    names_file.write_text(yaml.safe_dump(names))

    def run(playbook, *arguments, label=None, env=None):
        label = label or Path(playbook).stem
        log_path = workdir / f"{label}.log"
        command = [str(BIN / "ansible-playbook"), str(REPO / "playbooks" / playbook), "-e", f"@{LOCALCLOUD_VARS}",
                   *[argument for path in DRIVER_VARS for argument in ("-e", f"@{path}")],
                   "-e", f"@{names_file}", *arguments]
        completed = subprocess.run(command, cwd=workdir, env=env or cloud["env"], capture_output=True, text=True,
                                   timeout=PLAYBOOK_TIMEOUT)
        output = completed.stdout + completed.stderr
        log_path.write_text(output)
        return Run(label, completed.returncode, output, log_path)

    return run


def listed(list_call, attempts=10):
    """The items of a Magnum list, asked again while Magnum answers 400, as it does for a moment while another
    client's cluster row is being removed."""
    for attempt in range(attempts):
        try:
            return list(list_call())
        except openstack.exceptions.BadRequestException:
            if attempt == attempts - 1:
                raise
            time.sleep(2)


def cluster_named(sdk, name):
    clusters = listed(sdk.container_infrastructure_management.clusters)
    return next((cluster for cluster in clusters if cluster.name == name), None)


def template_named(sdk, name):
    templates = listed(sdk.container_infrastructure_management.cluster_templates)
    return next((template for template in templates if template.name == name), None)


def stack_resources(sdk, stack_id):
    """Every resource of the cluster's stack and of its nested stacks (nodegroups and their resource groups) as
    {type: [physical IDs]}, with the ports of the cluster's networks among the OS::Neutron::Port ones."""
    found = {}
    for resource in sdk.orchestration.resources(stack_id, nested_depth=5):
        if resource.physical_resource_id:
            found.setdefault(resource.resource_type, []).append(resource.physical_resource_id)
    ports = set(found.get("OS::Neutron::Port", []))
    for network_id in found.get("OS::Neutron::Net", []):
        ports.update(port.id for port in sdk.network.ports(network_id=network_id))
    found["OS::Neutron::Port"] = sorted(ports)
    return found


def capo_resources(sdk, cluster):
    """What Cluster API Provider OpenStack made for a magnum-capi-helm cluster, in stack_resources' shape: its network
    k8s-clusterapi-cluster-<namespace>-<stack_id> with the machines' ports, and its two security groups."""
    # A listed cluster carries no project_id; the cluster's own record does.
    project_id = sdk.container_infrastructure_management.get_cluster(cluster.id).project_id
    name = f"magnum-{re.sub('[^a-z0-9]', '', project_id.lower())}-{cluster.stack_id}"
    networks = sdk.network.networks(name=f"k8s-clusterapi-cluster-{name}")
    found = {"OS::Neutron::Net": [network.id for network in networks],
             "OS::Neutron::SecurityGroup": [group.id for role in ("controlplane", "worker")
                                            for group in sdk.network.security_groups(
                                                name=f"k8s-cluster-{name}-secgroup-{role}")]}
    found["OS::Neutron::Port"] = sorted(port.id for network_id in found["OS::Neutron::Net"]
                                        for port in sdk.network.ports(network_id=network_id))
    return found


def cluster_resources(sdk, cluster):
    return capo_resources(sdk, cluster) if DRIVER == "capi-helm" else stack_resources(sdk, cluster.stack_id)


def worker_group(sdk, cluster):
    if DRIVER == "capi-helm":
        return sdk.network.get_security_group(capo_resources(sdk, cluster)["OS::Neutron::SecurityGroup"][1])
    resource = next(resource for resource in sdk.orchestration.resources(cluster.stack_id)
                    if resource.name == "secgroup_kube_minion")
    return sdk.network.get_security_group(resource.physical_resource_id)


def csi_volumes(sdk, cluster):
    """The IDs of the Cinder volumes the cluster's CSI driver made (any project, as an admin sees them)."""
    owners = {cluster.stack_id, cluster.id, cluster.name}
    return sorted(volume.id for volume in sdk.block_storage.volumes(details=True, all_projects=True)
                  if (volume.metadata or {}).get(CSI_CLUSTER_METADATA) in owners)


def site_variables():
    """localcloud.yml with the driver's variables on top, as the playbooks get them."""
    variables = yaml.safe_load(LOCALCLOUD_VARS.read_text())
    for path in DRIVER_VARS:
        variables.update(yaml.safe_load(path.read_text()))
    return variables


@pytest.fixture(scope="module")
def converged(cloud, names, run_playbook):
    """site.yml applied once; what it made is recorded so that teardown can be checked against it.

    If the module's teardown test did not run (a selection with -k, a failure before it), teardown runs here so
    the cloud is left as it was found.
    """
    sdk = cloud["sdk"]
    state = {"run": run_playbook("site.yml", label="converge"), "torn_down": False}
    try:
        cluster = cluster_named(sdk, names["cluster_name"])
        if cluster is not None and cluster.stack_id:
            state["cluster"] = cluster
            state["resources"] = cluster_resources(sdk, cluster)
            state["volumes"] = csi_volumes(sdk, cluster)
            groups = state["resources"].get("OS::Neutron::SecurityGroup", [])
            state["extra_rules"] = [rule.id for group in groups
                                    for rule in sdk.network.security_group_rules(security_group_id=group)
                                    if (rule.description or "").startswith("coe.magnum")]
        yield state
    finally:
        if not state["torn_down"]:
            run_playbook("teardown.yml", "-e", "storage_class_delete_bound_claims=true", label="teardown-cleanup")


def test_argument_specs_reject_a_survey_answer_that_is_not_a_number(cloud, names, run_playbook):
    run = run_playbook("site.yml", "-e", json.dumps({"cluster_node_count": "two"}), label="bad-node-count")

    assert run.returncode != 0, run.explain()
    assert "cluster_node_count" in run.output and "two" in run.output, run.explain()
    assert cluster_named(cloud["sdk"], names["cluster_name"]) is None
    assert template_named(cloud["sdk"], names["cluster_template_name"]) is None


def magnum_writes(cloud, run, names):
    """The Magnum requests other than reads, logged by the local cloud's front proxy while `run()` ran, that can be
    this test's: those whose path names one of its resources, and those Magnum refused. Molecule's scenario runs
    beside this tier on the same cloud (playbook-tests) and creates a template and a cluster of its own meanwhile,
    to the same collection paths; a create of this test's that Magnum accepted leaves a resource named like this
    test's, which the tests look for themselves."""
    log = Path(cloud["env"]["LOCALCLOUD_HOME"]) / "log" / "requests.jsonl"
    start = log.stat().st_size if log.exists() else 0
    result = run()
    with log.open() as handle:
        handle.seek(start)
        records = [json.loads(line) for line in handle if line.strip()]
    ours = (names["cluster_name"], names["cluster_template_name"])
    return result, [(record["method"], record["path"]) for record in records
                    if record.get("service") == "magnum" and record.get("method") != "GET"
                    and (any(name in record["path"] for name in ours) or (record.get("status") or 0) >= 300)]


@pytest.fixture
def image_without_os_distro(cloud, names):
    """A Glance image (metadata only) with no os_distro property, removed afterwards."""
    sdk = cloud["sdk"]
    image = sdk.image.create_image(f"{names['cluster_name']}-plain", disk_format="qcow2", container_format="bare",
                                   allow_duplicates=True)
    yield image.name
    sdk.image.delete_image(image, ignore_missing=True)


@pytest.mark.parametrize(("variables", "named"), [
    ({"cluster_template_labels": {"kube_tag": "v1.30.4"}}, "Add cinder_csi_enabled: true"),
    ({"cluster_template_labels": {"kube_tag": "v1.30.4", "cinder_csi_enabled": True},
      "storage_class_provisioner": "kubernetes.io/cinder"},
     "storage_class_provisioner kubernetes.io/cinder cannot run"),
    ({"cluster_template_labels": {"kube_tag": "v1.23.3"}, "storage_class_provisioner": "cinder.csi.openstack.org"},
     "needs the Cinder CSI driver"),
    # The local cloud has no Octavia, as many small clouds do.
    ({"cluster_template_master_lb_enabled": True}, "no load-balancer service (Octavia)"),
    ({"cluster_template_image": "IMAGE_WITHOUT_OS_DISTRO"}, "has no os_distro property"),
])
def test_preflight_stops_what_would_fail_later_before_anything_is_created(request, cloud, names, run_playbook,
                                                                         variables, named):
    if variables.get("cluster_template_image") == "IMAGE_WITHOUT_OS_DISTRO":
        variables = dict(variables, cluster_template_image=request.getfixturevalue("image_without_os_distro"))

    run, writes = magnum_writes(cloud, lambda: run_playbook("site.yml", "-e", json.dumps(variables),
                                                            label="preflight"), names)

    assert run.returncode != 0, run.explain()
    assert named in run.output, run.explain()
    assert writes == [], f"Magnum was sent {writes} before the preflight failed"
    assert cluster_named(cloud["sdk"], names["cluster_name"]) is None
    assert template_named(cloud["sdk"], names["cluster_template_name"]) is None


@pytest.mark.parametrize(("role", "variables", "named"), [
    ("cluster", {"cluster_state": "gone"}, "cluster_state"),
    ("cluster_config", {"cluster_config_auth_mode": "password"}, "cluster_config_auth_mode"),
    ("cluster_ports", {"cluster_ports_cluster": "any", "cluster_ports_role": "everyone"}, "cluster_ports_role"),
    ("storage_class", {"storage_class_reclaim_policy": "Keep"}, "storage_class_reclaim_policy"),
])
def test_each_role_names_the_variable_it_rejects(cloud, workdir, role, variables, named):
    playbook = workdir / f"bad-{role}.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": f"A bad value for role {role}", "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "The role", "ansible.builtin.include_role": {"name": f"coe.magnum.{role}"},
                   "vars": variables}],
    }], sort_keys=False))
    completed = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=workdir, env=cloud["env"],
                               capture_output=True, text=True, timeout=120)
    output = completed.stdout + completed.stderr

    assert completed.returncode != 0, output
    assert "Validating arguments" in output, output
    assert named in output and str(variables[named]) in output, output


def test_site_converges(converged, cloud, names):
    run = converged["run"]

    assert run.returncode == 0, run.explain()
    assert run.host["failed"] == 0 and run.host["changed"] > 0, run.explain()
    cluster = cluster_named(cloud["sdk"], names["cluster_name"])
    assert cluster is not None and cluster.status == "CREATE_COMPLETE"
    assert f"export KUBECONFIG={names['cluster_config_dest']}/config" in run.output, run.explain()


def test_site_ends_with_the_cluster_check_it_is_asked_for(converged):
    """playbooks/vars/localcloud.yml turns cluster_check_enabled on: site.yml's last step checks the new cluster
    through its kubeconfig and prints one line per check, none of them failed."""
    run = converged["run"]
    assert run.returncode == 0, run.explain()
    variables = site_variables()
    assert variables["cluster_check_enabled"] is True
    nodes = variables["cluster_master_count"] + variables["cluster_node_count"]
    assert "TASK [coe.magnum.cluster_check : One line per check]" in run.output, run.explain()
    # magnum-capi-helm's chart leaves its WaitForFirstConsumer class the default (storage_class_existing_default
    # keep): a test claim of it cannot bind without a pod, which the check says instead of making one.
    claim_lines = {"heat": ("claim of class", "then deleted with its volume"),
                   "capi-helm": ("binds claims only for their first consumer",)}[DRIVER]
    for line in ("passed: %d of %d node(s) Ready" % (nodes, nodes), "passed: the default StorageClass is",
                 *claim_lines):
        assert line in run.output, run.explain()
    assert '"failed: ' not in run.output, run.explain()


def test_kubeconfig_lists_the_nodes_and_the_bound_claim(converged, names):
    assert converged["run"].returncode == 0, converged["run"].explain()
    kubeconfig = Path(names["cluster_config_dest"]) / "config"
    assert kubeconfig.stat().st_mode & 0o077 == 0, "the kubeconfig holds a private key: only its owner may read it"

    view = cluster_view(str(kubeconfig))

    variables = site_variables()
    assert len(view["nodes"]) == variables["cluster_master_count"] + variables["cluster_node_count"], view
    wanted = {(claim.get("namespace", "default"), claim["name"]) for claim in variables["storage_class_claims"]}
    bound = {(claim["namespace"], claim["name"]) for claim in view["claims"] if claim["status"] == "Bound"}
    assert wanted <= bound, view


def test_extra_ports_are_open_on_the_worker_group(converged, cloud):
    assert "cluster" in converged, converged["run"].explain()
    group = worker_group(cloud["sdk"], converged["cluster"])
    opened = {(rule["protocol"], rule["port_range_min"], rule["remote_ip_prefix"])
              for rule in group.security_group_rules if rule["direction"] == "ingress"}

    for rule in site_variables()["cluster_ports_rules"]:
        assert (rule["protocol"], rule["port"], rule["remote_ip_prefix"]) in opened, group.security_group_rules


def test_rerun_reports_no_changes(converged, run_playbook):
    assert converged["run"].returncode == 0, converged["run"].explain()

    run = run_playbook("site.yml", "-vvv", label="rerun")

    assert run.returncode == 0, run.explain()
    assert run.host["changed"] == 0 and run.host["failed"] == 0, run.explain()
    # On the controller's own Python, the modules ran in their tasks' worker processes (plugin_utils/in_process.py).
    assert run.output.count("runs in the task's worker process") >= 5, run.explain()
    assert "runs as a module process" not in run.output, run.explain()


def test_rerun_with_module_processes_reports_no_changes(converged, run_playbook):
    """The same re-run with every module as a process of its own (coe_magnum_in_process=false): the way modules run
    on any host but the controller, and on ansible-core versions the in-process action does not know."""
    run = run_playbook("site.yml", "-vvv", "-e", "coe_magnum_in_process=false", label="rerun-module-processes")

    assert run.returncode == 0, run.explain()
    assert run.host["changed"] == 0 and run.host["failed"] == 0, run.explain()
    assert "runs in the task's worker process" not in run.output
    assert run.output.count("runs as a module process: coe_magnum_in_process is false") >= 5, run.explain()


def test_module_defaults_alone_carry_every_connection_option(converged, cloud, workdir, run_playbook):
    """site.yml's tasks under one module_defaults block per group (tests/playbooks/module_defaults.yml), with no
    cloud in the environment nor in the roles' variables: openstack.cloud's common options (wait, timeout,
    sdk_log_path, sdk_log_level among them) and kubernetes.core's are accepted by every module they reach."""
    assert converged["run"].returncode == 0, converged["run"].explain()
    sdk_log = workdir / "module-defaults-sdk.log"
    environment = {name: value for name, value in cloud["env"].items() if name not in ("OS_CLOUD", "KUBECONFIG")}
    overrides = {"cluster_cloud": "", "storage_class_kubeconfig": "", "defaults_cloud": cloud["env"]["OS_CLOUD"],
                 "defaults_sdk_log_path": str(sdk_log)}

    run = run_playbook(str(REPO / "tests" / "playbooks" / "module_defaults.yml"), "-e", json.dumps(overrides),
                       label="module-defaults", env=environment)

    assert run.returncode == 0 and run.host["failed"] == 0, run.explain()
    assert run.host["changed"] == 0, run.explain()
    assert "Unsupported parameters" not in run.output
    assert "/clusters" in sdk_log.read_text(), "sdk_log_level DEBUG logs the Magnum requests to sdk_log_path"


@pytest.fixture(scope="module")
def awx_job(converged, cloud, names, workdir, collections_path):
    """A private data dir laid out as AWX hands it to ansible-runner; returns run(ident, kubeconfig_dir, check).

    The credential is a clouds.yaml with a single cloud named devstack, found through OS_CLIENT_CONFIG_FILE
    with no OS_CLOUD; the job template's extra vars are the local-cloud variables file, the survey answers are
    strings, the job template has Show changes on (--diff) as docs/awx.md asks, and a check job adds --check; the
    runner starts from a clean environment as in an execution environment. kubeconfig_dir is
    where the job keeps the kubeconfig: the converge's directory, or a new one as in a fresh execution
    environment.
    """
    data_dir = workdir / "awx"
    (data_dir / "env").mkdir(parents=True)
    (data_dir / "project").symlink_to(REPO)
    admin = yaml.safe_load(Path(cloud["env"]["OS_CLIENT_CONFIG_FILE"]).read_text())["clouds"][cloud["env"]["OS_CLOUD"]]
    credential = data_dir / "env" / "clouds.yaml"
    credential.write_text(yaml.safe_dump({"clouds": {"devstack": admin}}))
    credential.chmod(0o600)
    (data_dir / "env" / "envvars").write_text(yaml.safe_dump({
        "OS_CLIENT_CONFIG_FILE": str(credential),
        "ANSIBLE_COLLECTIONS_PATH": collections_path,
        "ANSIBLE_NOCOLOR": "1",
    }))

    job_template_vars = site_variables()
    # docs/awx.md's survey, answered as AWX passes answers: strings. What the survey does not ask comes from the
    # job template's extra variables (the variables file), as the page says.
    survey_answers = {
        "cluster_name": names["cluster_name"],
        "cluster_node_count": str(job_template_vars["cluster_node_count"]),
        "cluster_template_name": names["cluster_template_name"],
    }
    clean_environment = {"PATH": f"{BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin", "HOME": os.environ["HOME"],
                         "LANG": "C.UTF-8"}

    def run(ident, kubeconfig_dir, check=False):
        extravars = {**job_template_vars, "cluster_config_dest": str(kubeconfig_dir), **survey_answers}
        (data_dir / "env" / "extravars").write_text(yaml.safe_dump(extravars))
        completed = subprocess.run([str(BIN / "ansible-runner"), "run", str(data_dir), "--playbook",
                                    "playbooks/site.yml", "--ident", ident,
                                    "--cmdline=--diff --check" if check else "--cmdline=--diff"],
                                   env=clean_environment, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT)
        artifacts = data_dir / "artifacts" / ident
        stdout = (artifacts / "stdout").read_text() if (artifacts / "stdout").exists() else completed.stdout
        status = (artifacts / "status").read_text().strip() if (artifacts / "status").exists() else "missing"
        run = Run(f"ansible-runner job {ident} (status {status})", completed.returncode,
                  stdout + completed.stderr, artifacts / "stdout")
        run.status = status
        command_file = artifacts / "command"
        run.command = json.loads(command_file.read_text())["command"] if command_file.exists() else []
        return run

    return run


def changed_tasks(run):
    """The names of the tasks that reported `changed`, from the play output."""
    blocks = re.split(r"^TASK \[", run.output, flags=re.MULTILINE)[1:]
    return [block.split("]", 1)[0] for block in blocks if re.search(r"^changed: ", block, re.MULTILINE)]


def test_awx_job_in_a_fresh_execution_environment_only_writes_the_kubeconfig(awx_job, workdir):
    kubeconfig_dir = workdir / "awx-job-ee"

    run = awx_job("job", kubeconfig_dir)

    assert run.status == "successful" and run.returncode == 0, run.explain()
    assert run.host["failed"] == 0, run.explain()
    assert [name.split(" : ")[0] for name in changed_tasks(run)] == ["coe.magnum.cluster_config"], run.explain()
    variables = site_variables()
    nodes = cluster_view(str(kubeconfig_dir / "config"))["nodes"]
    assert len(nodes) == variables["cluster_master_count"] + variables["cluster_node_count"]


def test_awx_check_mode_job_reports_no_changes(awx_job, names):
    run = awx_job("check", names["cluster_config_dest"], check=True)

    assert run.status == "successful" and run.returncode == 0, run.explain()
    assert "--check" in run.command, run.command
    assert run.host["changed"] == 0 and run.host["failed"] == 0, run.explain()


def test_awx_check_mode_job_in_a_fresh_execution_environment_writes_nothing(awx_job, workdir):
    kubeconfig_dir = workdir / "awx-check-ee"

    run = awx_job("check-fresh", kubeconfig_dir, check=True)

    assert run.status == "successful" and run.returncode == 0, run.explain()
    assert run.host["failed"] == 0, run.explain()
    assert [name.split(" : ")[0] for name in changed_tasks(run)] == ["coe.magnum.cluster_config"], run.explain()
    assert "does not exist yet" in run.output, run.explain()
    assert not kubeconfig_dir.exists()


def test_teardown_leaves_nothing(converged, cloud, names, run_playbook):
    assert "cluster" in converged, converged["run"].explain()
    sdk = cloud["sdk"]

    run = run_playbook("teardown.yml", "-e", "storage_class_delete_bound_claims=true")
    converged["torn_down"] = True

    assert run.returncode == 0 and run.host["failed"] == 0, run.explain()
    assert cluster_named(sdk, names["cluster_name"]) is None
    assert template_named(sdk, names["cluster_template_name"]) is None
    stack_id = converged["cluster"].stack_id
    assert stack_id not in {stack.id for stack in sdk.orchestration.stacks()}
    assert converged["volumes"], "the converged cluster's claims had no Cinder volume to look for"
    for volume_id in converged["volumes"]:
        assert sdk.block_storage.find_volume(volume_id, ignore_missing=True) is None, f"volume {volume_id} is left"
    resources = converged["resources"]
    assert resources.get("OS::Neutron::Port"), "the converged cluster had no Neutron port to look for"
    for port_id in resources["OS::Neutron::Port"]:
        assert sdk.network.find_port(port_id) is None, f"port {port_id} is left"
    for group_id in resources.get("OS::Neutron::SecurityGroup", []):
        assert sdk.network.find_security_group(group_id) is None, f"security group {group_id} is left"
    assert converged["extra_rules"], "the converged cluster had no extra security group rule to look for"
    for rule_id in converged["extra_rules"]:
        assert sdk.network.find_security_group_rule(rule_id) is None, f"security group rule {rule_id} is left"
    for network_id in resources.get("OS::Neutron::Net", []):
        assert sdk.network.find_network(network_id) is None, f"network {network_id} is left"
    assert not Path(names["cluster_config_dest"]).exists()


def test_teardown_removes_only_the_files_site_yml_writes(cloud, workdir, run_playbook):
    """cluster_config_dest pointing at a directory of the user's (~/.kube): its other files stay."""
    dest = workdir / "shared-kube-dir"
    dest.mkdir()
    for name in ("config", "ca.pem", "other-config"):
        (dest / name).write_text(name)
    run = run_playbook("teardown.yml", "-e", json.dumps({"cluster_config_dest": str(dest),
                                                           "cluster_name": "pbt-never-made",
                                                           "cluster_template_name": "pbt-never-made-k8s",
                                                           "storage_class_claims": []}),
                       label="teardown-shared-dir")

    assert run.returncode == 0, run.explain()
    assert sorted(path.name for path in dest.iterdir()) == ["other-config"]


def test_teardown_again_changes_nothing(converged, run_playbook):
    assert converged["torn_down"], "teardown did not run"

    run = run_playbook("teardown.yml", "-e", "storage_class_delete_bound_claims=true", label="teardown-again")

    assert run.returncode == 0, run.explain()
    assert run.host["changed"] == 0, run.explain()


def test_recap_parser_reads_the_play_recap():
    recap = recap_of("PLAY RECAP ****\nlocalhost                  : ok=3    changed=0    unreachable=0    "
                     "failed=1    skipped=2    rescued=0    ignored=0   \n")

    assert recap == {"ok": 3, "changed": 0, "unreachable": 0, "failed": 1, "skipped": 2, "rescued": 0, "ignored": 0}


def test_show_cluster_prints_tables():
    from show_cluster import table

    printed = table([{"name": "node-0", "status": "Ready"}], [("name", "NAME"), ("status", "STATUS")])

    assert printed.splitlines() == ["NAME     STATUS", "node-0   Ready"]
