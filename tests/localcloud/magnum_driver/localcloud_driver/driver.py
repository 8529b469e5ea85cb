"""Magnum drivers of the local cloud: Magnum's Heat drivers minus the servers.

Each cluster is a Heat stack (templates/cluster.yaml) with a private network unless one is given, the master and
minion security groups and one Neutron port per master and node; further nodegroups get a stack of their own
(templates/nodegroup.yaml). Kubernetes clusters are served by a Kubernetes API emulator per cluster. Every
operation returns once Heat accepted it; a thread then settles the cluster (see completion.py).
"""

from magnum.common import exception
from magnum.drivers.common import driver, k8s_monitor
from magnum.objects import fields
from oslo_log import log as logging
from pbr.version import SemanticVersion

from localcloud_driver import completion, networking, sessions, stack
from localcloud_driver.heat import outputs
from localcloud_driver.labels import KEEP_TEMPLATE_ID, RECORD_ONLY, ClusterLabels

LOG = logging.getLogger(__name__)
Status = fields.ClusterStatus
CLUSTER_TEMPLATE = "cluster.yaml"
NODEGROUP_TEMPLATE = "nodegroup.yaml"


class LocalCloudDriver(driver.Driver):
    coe = None
    distros = ()

    @property
    def provides(self):
        return [{"server_type": "vm", "os": distro, "coe": self.coe} for distro in self.distros]

    # Clusters

    def create_cluster(self, context, cluster, cluster_create_timeout):
        labels = ClusterLabels(cluster.labels)
        labels.validate()
        if labels.record_only():
            LOG.info("Cluster %s: a Magnum record only (label %s)", cluster.uuid, RECORD_ONLY)
            # The conductor saves the certificate references it made when this call returns.
            completion.follow(cluster.uuid, Status.CREATE_IN_PROGRESS, saved={"ca_cert_ref": cluster.ca_cert_ref})
            return
        cluster_template = cluster.cluster_template
        network = networking.resolve(sessions.network_for(context, cluster.project_id), cluster, cluster_template)
        timeout = cluster_create_timeout or stack.DEFAULT_CREATE_TIMEOUT_MINUTES
        cluster.stack_id = sessions.heat_for(context, cluster.project_id).create(
            stack.cluster_stack_name(cluster),
            stack.load_template(CLUSTER_TEMPLATE),
            {},
            stack.cluster_parameters(cluster, cluster_template, labels, network),
            timeout,
        )
        LOG.info("Cluster %s: stack %s created", cluster.uuid, cluster.stack_id)
        completion.follow(
            cluster.uuid, Status.CREATE_IN_PROGRESS, saved={"stack_id": cluster.stack_id}, timeout_minutes=timeout
        )

    def update_cluster(self, context, cluster, scale_manager=None, rollback=False):
        _refuse_record_only(cluster, "Updating")
        self._update_cluster_stack(
            context, cluster, {"number_of_minions": cluster.default_ng_worker.node_count, "minions_to_remove": ""}
        )

    def resize_cluster(self, context, cluster, resize_manager, node_count, nodes_to_remove, nodegroup=None):
        _refuse_record_only(cluster, "Resizing")
        nodegroup = nodegroup or cluster.default_ng_worker
        heat = sessions.heat_for(context, cluster.project_id)
        stack_id = self._stack_id(cluster, nodegroup)
        current = heat.get(stack_id)
        if current is None:
            raise exception.NotSupported(operation="Resizing nodegroup %s whose stack is gone" % nodegroup.name)
        removed = ",".join(stack.members_to_remove(outputs(current), nodegroup.role, nodes_to_remove))
        if nodegroup.is_default:
            group = "masters" if nodegroup.role == "master" else "minions"
            parameters = {"number_of_%s" % group: node_count, "%s_to_remove" % group: removed}
            self._update_cluster_stack(context, cluster, parameters)
        else:
            self._update_nodegroup_stack(
                context, cluster, nodegroup, {"number_of_nodes": node_count, "nodes_to_remove": removed}
            )

    def upgrade_cluster(
        self, context, cluster, cluster_template, max_batch_size, nodegroup, scale_manager=None, rollback=False
    ):
        _refuse_record_only(cluster, "Upgrading")
        new_labels = dict(nodegroup.labels or {})
        if cluster_template.coe == "kubernetes":
            new_kube_tag = (cluster_template.labels or {}).get("kube_tag")
            if not new_kube_tag:
                raise exception.InvalidClusterTemplateForUpgrade(
                    reason="Cluster Template %s does not contain any supported upgrade labels: [kube_tag]"
                    % cluster_template.name
                )
            current_kube_tag = ClusterLabels(new_labels).kube_tag()
            if _older(new_kube_tag, current_kube_tag):
                raise exception.InvalidVersion(tag="kube_tag")
            new_labels["kube_tag"] = new_kube_tag
        nodegroup.labels = new_labels
        if cluster_template.coe == "kubernetes":
            nodegroup.version = new_labels["kube_tag"]
        if not nodegroup.is_default:
            self._update_nodegroup_stack(context, cluster, nodegroup, {})
            return
        labels = ClusterLabels(new_labels)
        self._update_cluster_stack(
            context, cluster, {"coe_version": stack.coe_version(cluster_template.coe, labels)}, labels=labels
        )
        # As Magnum's Heat driver: the cluster and both default nodegroups take the new template's labels.
        if labels.keeps_template_id():
            LOG.info("Cluster %s: upgraded with its cluster_template_id unchanged (label %s)", cluster.uuid,
                     KEEP_TEMPLATE_ID)
        else:
            cluster.cluster_template_id = cluster_template.uuid
        cluster.labels = new_labels
        other = cluster.default_ng_worker if nodegroup.role == "master" else cluster.default_ng_master
        other.labels = new_labels
        other.version = nodegroup.version
        other.save()
        nodegroup.save()

    def rotate_ca_certificate(self, context, cluster):
        _refuse_record_only(cluster, "Rotating the CA certificate of")
        distro = cluster.cluster_template.cluster_distro
        if self.coe != "kubernetes" or distro != "fedora-coreos":
            raise exception.NotSupported(
                operation="Rotating the CA certificate of a cluster with cluster_distro %s" % distro
            )
        # The conductor has put the new CA references on the cluster; they reach the row when it saves.
        self._update_cluster_stack(context, cluster, {"ca_cert_ref": cluster.ca_cert_ref})

    def delete_cluster(self, context, cluster):
        labels = ClusterLabels(cluster.labels)
        heat = None  # a record-only cluster has nothing in Heat or Neutron
        if not labels.record_only(strict=False):
            heat = sessions.heat_for(context, cluster.project_id)
            network_api = sessions.network_for(context, cluster.project_id)
            if cluster.status == Status.DELETE_FAILED:
                networking.remove_leftover_ports(network_api, cluster)
            elif labels.fails("delete", strict=False) and cluster.stack_id:
                self._leave_port_behind(heat, network_api, cluster)
        for nodegroup in cluster.nodegroups:
            nodegroup.status = Status.DELETE_IN_PROGRESS
            nodegroup.status_reason = None
            nodegroup.save()
            if heat and not nodegroup.is_default and nodegroup.stack_id:
                heat.delete(nodegroup.stack_id)
        if heat and cluster.stack_id:
            heat.delete(cluster.stack_id)
        completion.follow(cluster.uuid, Status.DELETE_IN_PROGRESS)

    @staticmethod
    def _leave_port_behind(heat, network_api, cluster):
        current = heat.get(cluster.stack_id)
        values = outputs(current) if current else {}
        if values.get("fixed_network") and values.get("master_security_group"):
            networking.leave_port_behind(network_api, cluster, values["fixed_network"], values["master_security_group"])

    def update_cluster_status(self, context, cluster, use_admin_ctx=False):
        """Magnum's periodic sync: settle the cluster if its stacks have, then show the caller the row."""
        completion.reconcile(cluster.uuid)
        try:
            cluster.refresh()
        except exception.ClusterNotFound:
            # Deleted and destroyed already: leave the caller's copy as it is, so it does not destroy it again.
            pass

    def get_monitor(self, context, cluster):
        """Magnum's own health monitor, which asks the cluster's Kubernetes API with Magnum's client certificate.

        Magnum's health sync runs at conductor start and then every [kubernetes] health_polling_interval (10 s in
        the local cloud): the
        emulator of a cluster is started again first if it no longer runs (after a restart of the local cloud).
        """
        if self.coe != "kubernetes" or not cluster.api_address:
            return None
        completion.revive(cluster.uuid)
        return LocalMonitor(context, cluster)

    # Nodegroups

    def create_nodegroup(self, context, cluster, nodegroup):
        _refuse_record_only(cluster, "Adding a nodegroup to")
        heat = sessions.heat_for(context, cluster.project_id)
        cluster_stack = heat.get(cluster.stack_id)
        values = outputs(cluster_stack) if cluster_stack else {}
        group = "master_security_group" if nodegroup.role == "master" else "minion_security_group"
        labels = ClusterLabels(nodegroup.labels or cluster.labels)
        labels.validate()
        timeout = cluster.create_timeout or stack.DEFAULT_CREATE_TIMEOUT_MINUTES
        nodegroup.stack_id = heat.create(
            stack.nodegroup_stack_name(cluster, nodegroup),
            stack.load_template(NODEGROUP_TEMPLATE),
            {},
            {
                "number_of_nodes": nodegroup.node_count,
                "role": nodegroup.role,
                "fixed_network": values.get("fixed_network") or "",
                "fixed_subnet": values.get("fixed_subnet") or "",
                "security_group": values.get(group) or "",
                **stack.operation_parameters(labels, "create"),
            },
            timeout,
        )
        completion.follow(cluster.uuid, Status.UPDATE_IN_PROGRESS, timeout_minutes=timeout)

    def update_nodegroup(self, context, cluster, nodegroup):
        # Only min/max node counts change here; the nodegroup settles from its stack's status.
        with completion.marking_busy(cluster.uuid):
            nodegroup.save()
        completion.follow(cluster.uuid, Status.UPDATE_IN_PROGRESS)

    def delete_nodegroup(self, context, cluster, nodegroup):
        with completion.marking_busy(cluster.uuid):
            nodegroup.status = Status.DELETE_IN_PROGRESS
            nodegroup.save()
            if nodegroup.stack_id:
                sessions.heat_for(context, cluster.project_id).delete(nodegroup.stack_id)
        completion.follow(cluster.uuid, Status.UPDATE_IN_PROGRESS)

    # Helpers

    @staticmethod
    def _stack_id(cluster, nodegroup):
        return nodegroup.stack_id or (cluster.stack_id if nodegroup.is_default else None)

    def _update_cluster_stack(self, context, cluster, parameters, labels=None):
        labels = labels or ClusterLabels(cluster.labels)
        sessions.heat_for(context, cluster.project_id).update(
            cluster.stack_id,
            {**parameters, **stack.operation_parameters(labels, "update")},
            template=stack.load_template(CLUSTER_TEMPLATE),
        )
        for nodegroup in cluster.nodegroups:
            if self._stack_id(cluster, nodegroup) == cluster.stack_id:
                self._mark_in_progress(nodegroup, Status.UPDATE_IN_PROGRESS)
        completion.follow(cluster.uuid, Status.UPDATE_IN_PROGRESS)

    def _update_nodegroup_stack(self, context, cluster, nodegroup, parameters):
        labels = ClusterLabels(nodegroup.labels or cluster.labels)
        sessions.heat_for(context, cluster.project_id).update(
            nodegroup.stack_id,
            {**parameters, **stack.operation_parameters(labels, "update")},
            template=stack.load_template(NODEGROUP_TEMPLATE),
        )
        self._mark_in_progress(nodegroup, Status.UPDATE_IN_PROGRESS)
        completion.follow(cluster.uuid, Status.UPDATE_IN_PROGRESS)

    @staticmethod
    def _mark_in_progress(nodegroup, status):
        nodegroup.status = status
        nodegroup.status_reason = None
        nodegroup.save()

    # Federations are not part of the local cloud.

    def create_federation(self, context, federation):
        raise exception.NotSupported(operation="Federations")

    def update_federation(self, context, federation):
        raise exception.NotSupported(operation="Federations")

    def delete_federation(self, context, federation):
        raise exception.NotSupported(operation="Federations")


class LocalMonitor(k8s_monitor.K8sMonitor):
    """Magnum's Kubernetes monitor (/healthz, then every node's Ready condition) for clusters whose API is always
    reachable: Magnum's own asks only clusters with a floating IP, and the emulators listen on 127.0.0.1."""

    def _is_cluster_accessible(self):
        return True

    def poll_health_status(self):
        """Report only a change: Magnum's health sync saves the cluster whenever the monitor reports a status,
        which would move the cluster's updated_at every poll, and clients read a moved updated_at right after
        their request as the conductor having taken it up."""
        super().poll_health_status()
        status = self.data.get("health_status")
        reason = {key: str(value) for key, value in (self.data.get("health_status_reason") or {}).items()}
        if status == self.cluster.health_status and reason == dict(self.cluster.health_status_reason or {}):
            self.data.pop("health_status", None)


def _refuse_record_only(cluster, operation):
    if ClusterLabels(cluster.labels).record_only(strict=False):
        raise exception.NotSupported(operation="%s a cluster with label %s" % (operation, RECORD_ONLY))


def _older(candidate, current):
    try:
        return SemanticVersion.from_pip_string(candidate.lstrip("v")) < SemanticVersion.from_pip_string(
            current.lstrip("v")
        )
    except ValueError:
        return False


class FedoraCoreosKubernetesDriver(LocalCloudDriver):
    coe = "kubernetes"
    distros = ("fedora-coreos",)


class FedoraAtomicKubernetesDriver(LocalCloudDriver):
    coe = "kubernetes"
    distros = ("fedora-atomic",)


class FedoraAtomicSwarmDriver(LocalCloudDriver):
    coe = "swarm"
    distros = ("fedora-atomic",)
