"""Bringing a cluster's status in line with its Heat stacks, as Magnum's HeatPoller does, without waiting for it.

Every driver operation starts a thread that follows the cluster until its stacks settle and saves the outcome;
magnum-conductor's periodic status sync calls the same reconciliation, so a conductor restart loses nothing.
Both re-read the cluster row under a per-cluster lock, so whichever comes first settles the cluster once.
"""

import contextlib
import functools
import threading
import time

from magnum import objects
from magnum.common import exception
from magnum.conductor import utils as conductor_utils
from magnum.conductor.handlers.common import cert_manager
from magnum.objects import fields
from oslo_log import log as logging
from pycadf import cadftaxonomy as taxonomy

from localcloud_driver import kube, paths, sessions, stack
from localcloud_driver.heat import outputs
from localcloud_driver.labels import ClusterLabels

LOG = logging.getLogger(__name__)

IN_PROGRESS = "_IN_PROGRESS"
FAILED = "_FAILED"
COMPLETE = "_COMPLETE"
Status = fields.ClusterStatus

PENDING, SETTLED = "pending", "settled"
CONDUCTOR_SAVE_TIMEOUT = 60
FOLLOW_POLL_CEILING = 2.0


def follow(cluster_uuid, in_progress_status, saved=None, timeout_minutes=stack.DEFAULT_CREATE_TIMEOUT_MINUTES):
    """Settle the cluster as soon as its stacks do, in a thread of magnum-conductor.

    The conductor saves the *_IN_PROGRESS status (and, on create, `saved`: the stack id or the certificate
    references) only after the driver call returns; the thread waits for that first, so it never settles the
    previous operation's row nor has its own save overtaken by the conductor's.
    """

    def run():
        ctx = sessions.admin_context()
        if not _wait_for_conductor(ctx, cluster_uuid, in_progress_status, saved or {}):
            return
        deadline = time.monotonic() + timeout_minutes * 60 + 60
        interval = 0.2
        while time.monotonic() < deadline:
            try:
                if reconcile(cluster_uuid) == SETTLED:
                    return
            except Exception:
                LOG.exception("Settling cluster %s failed; retrying", cluster_uuid)
            time.sleep(interval)
            interval = min(interval * 1.5, FOLLOW_POLL_CEILING)

    threading.Thread(target=run, name="localcloud-follow-%s" % cluster_uuid, daemon=True).start()


@contextlib.contextmanager
def marking_busy(cluster_uuid):
    """The driver marks a nodegroup busy (and starts its stack's change) in the with block, under the cluster's lock.

    For a nodegroup delete or update magnum-conductor saves the cluster's UPDATE_IN_PROGRESS first and only then
    calls the driver. A status sync that came in between found no busy nodegroup and settled the cluster, and one
    that came between the nodegroup's save and its stack's change settled the nodegroup from the old stack: either
    way nothing would ever settle the nodegroup. Under the lock no sync comes in between; at the end, the cluster's
    UPDATE_IN_PROGRESS is put back if a sync settled it before, as Magnum's conductor saved it.
    """
    with paths.locked(cluster_uuid):
        yield
        try:
            cluster = objects.Cluster.get_by_uuid(sessions.admin_context(), cluster_uuid)
        except exception.ClusterNotFound:
            return
        if not cluster.status.endswith(IN_PROGRESS):
            LOG.info("Cluster %s was settled before its nodegroup was marked busy; UPDATE_IN_PROGRESS again",
                     cluster_uuid)
            cluster.status = Status.UPDATE_IN_PROGRESS
            cluster.save()


def _wait_for_conductor(ctx, cluster_uuid, in_progress_status, saved):
    deadline = time.monotonic() + CONDUCTOR_SAVE_TIMEOUT
    while time.monotonic() < deadline:
        try:
            cluster = objects.Cluster.get_by_uuid(ctx, cluster_uuid)
        except exception.ClusterNotFound:
            return False
        if cluster.status == in_progress_status and all(getattr(cluster, k) == v for k, v in saved.items()):
            return True
        time.sleep(0.1)
    LOG.warning("Cluster %s never showed %s; the periodic status sync settles it", cluster_uuid, in_progress_status)
    return False


def reconcile(cluster_uuid):
    """Settle the cluster when all the stacks of its busy nodegroups have; SETTLED when nothing is left to do."""
    with paths.locked(cluster_uuid):
        ctx = sessions.admin_context()
        try:
            cluster = objects.Cluster.get_by_uuid(ctx, cluster_uuid)
        except exception.ClusterNotFound:
            return SETTLED
        if not cluster.status.endswith(IN_PROGRESS):
            return SETTLED
        settler = _Settler(ctx, cluster)
        if not settler.stacks_settled():
            return PENDING
        settler.settle()
    if settler.destroyed:
        paths.forget_lock(cluster_uuid)
    return SETTLED


def revive(cluster_uuid):
    """Start the Kubernetes API of a settled cluster again when it no longer runs (the local cloud was restarted)."""
    with paths.locked(cluster_uuid):
        ctx = sessions.admin_context()
        try:
            cluster = objects.Cluster.get_by_uuid(ctx, cluster_uuid)
        except exception.ClusterNotFound:
            return
        if (
            cluster.status.endswith(IN_PROGRESS)
            or not cluster.api_address
            or cluster.cluster_template.coe != "kubernetes"
            or kube.emulator_pid(cluster_uuid)
        ):
            return
        LOG.info("Kubernetes API of cluster %s is not running; starting it again", cluster_uuid)
        settler = _Settler(ctx, cluster)
        reason = settler.serve_kubernetes()
        if reason:
            LOG.warning("Cluster %s: %s", cluster_uuid, reason)
        elif "api_address" in cluster.obj_what_changed():
            cluster.save()


class _Settler:
    def __init__(self, ctx, cluster):
        self.ctx = ctx
        self.cluster = cluster
        self.record_only = ClusterLabels(cluster.labels).record_only(strict=False)
        self.nodegroups = objects.NodeGroup.list(ctx, cluster.uuid)
        self.busy = [ng for ng in self.nodegroups if (ng.status or "").endswith(IN_PROGRESS)]
        self._stacks = {}
        self.destroyed = False

    @functools.cached_property
    def heat(self):
        return sessions.admin_heat(self.cluster.project_id)

    def stack_id(self, nodegroup):
        # Default nodegroups get the cluster's stack id from the conductor only after it saved the cluster.
        return nodegroup.stack_id or (self.cluster.stack_id if nodegroup.is_default else None)

    def stack_of(self, nodegroup, resolve_outputs=True):
        """The nodegroup's stack; outputs (node addresses) are resolved only once the stacks settled.

        Resolving them costs Heat a walk through the nested port groups, as Magnum's HeatPoller notes.
        """
        stack_id = self.stack_id(nodegroup)
        if stack_id is None:
            return None
        if (stack_id, resolve_outputs) not in self._stacks:
            self._stacks[(stack_id, resolve_outputs)] = self.heat.get(stack_id, resolve_outputs=resolve_outputs)
        return self._stacks[(stack_id, resolve_outputs)]

    def stacks_settled(self):
        if self.record_only:
            return True
        for nodegroup in self.busy:
            if self.stack_id(nodegroup) is None and nodegroup.status != Status.DELETE_IN_PROGRESS:
                return False
            found = self.stack_of(nodegroup, resolve_outputs=False)
            if found is not None and found["stack_status"].endswith(IN_PROGRESS):
                return False
            # Heat may not have begun the delete of a nodegroup being deleted yet: its stack's old status is not it.
            if nodegroup.status == Status.DELETE_IN_PROGRESS and found is not None \
                    and not found["stack_status"].startswith("DELETE"):
                return False
        return True

    def settle(self):
        for nodegroup in self.busy:
            if self.record_only:
                nodegroup.status = nodegroup.status.replace(IN_PROGRESS, COMPLETE)
                nodegroup.status_reason = None
            else:
                self._settle_nodegroup(nodegroup, self.stack_of(nodegroup))
        if self._deleting():
            self._settle_delete()
        else:
            self._settle_create_or_update()

    def _deleting(self):
        """A delete, also when an update that raced with it saved the cluster's status last (as Magnum judges)."""
        if self.cluster.status == Status.DELETE_IN_PROGRESS:
            return True
        masters = [ng for ng in self.nodegroups if ng.is_default and ng.role == "master"]
        return bool(masters) and (masters[0].status or "").startswith("DELETE")

    def _settle_nodegroup(self, nodegroup, found):
        if found is None or found["stack_status"] == Status.DELETE_COMPLETE:
            if nodegroup.status == Status.DELETE_IN_PROGRESS:
                nodegroup.status = Status.DELETE_COMPLETE
                nodegroup.status_reason = None
            else:
                nodegroup.status = nodegroup.status.replace(IN_PROGRESS, FAILED)
                nodegroup.status_reason = "Stack with id %s not found in Heat." % self.stack_id(nodegroup)
            return
        nodegroup.status = found["stack_status"]
        nodegroup.status_reason = found.get("stack_status_reason")
        if nodegroup.status.endswith(COMPLETE):
            members = stack.member_ports(outputs(found), nodegroup.role)
            nodegroup.node_addresses = [stack.port_address(port) for _, port in members if stack.port_address(port)]

    def _failure_reason(self):
        return ", ".join("%s failed" % ng.name for ng in self.nodegroups if (ng.status or "").endswith(FAILED))

    def _settle_delete(self):
        if all(ng.status == Status.DELETE_COMPLETE for ng in self.nodegroups):
            self._destroy()
            return
        for nodegroup in self.busy:
            nodegroup.save()
        self.cluster.status = Status.DELETE_FAILED
        self.cluster.status_reason = self._failure_reason() or "Deleting the cluster's stacks failed."
        self.cluster.save()
        self._notify(taxonomy.ACTION_DELETE, taxonomy.OUTCOME_FAILURE)

    def _destroy(self):
        if self.cluster.cluster_template.coe == "kubernetes":
            kube.remove_emulator(self.cluster.uuid)
        cert_manager.delete_certificates_from_cluster(self.cluster, context=self.ctx)
        # The cluster row goes first: Magnum's API fails listing a cluster whose nodegroups are already gone.
        self.cluster.destroy()
        for nodegroup in self.nodegroups:
            nodegroup.destroy()
        self.destroyed = True
        self._notify(taxonomy.ACTION_DELETE, taxonomy.OUTCOME_SUCCESS)
        LOG.info("Cluster %s deleted", self.cluster.uuid)

    def _settle_create_or_update(self):
        action = self.cluster.status[: -len(IN_PROGRESS)]
        for nodegroup in self.busy:
            if nodegroup.status == Status.DELETE_COMPLETE and not nodegroup.is_default:
                nodegroup.destroy()
                self.nodegroups.remove(nodegroup)
            else:
                nodegroup.save()
        reason = self._failure_reason()
        # A record-only cluster has no API to serve: its api_address stays empty.
        if not reason and not self.record_only:
            if self.cluster.cluster_template.coe == "kubernetes":
                reason = self.serve_kubernetes()
            else:
                self.cluster.api_address = swarm_api_address(self.cluster.uuid)
        self.cluster.status = action + (FAILED if reason else COMPLETE)
        self.cluster.status_reason = reason or None
        labels = ClusterLabels(self.cluster.labels)
        self.cluster.coe_version = stack.coe_version(self.cluster.cluster_template.coe, labels) or None
        self.cluster.save()
        event = taxonomy.ACTION_CREATE if action == "CREATE" else taxonomy.ACTION_UPDATE
        self._notify(event, taxonomy.OUTCOME_FAILURE if reason else taxonomy.OUTCOME_SUCCESS)

    def serve_kubernetes(self):
        """Start or restart the emulator to match the cluster; a failure reason, or None."""
        masters, nodes = [], []
        for nodegroup in self.nodegroups:
            found = self.stack_of(nodegroup)
            if found is None:
                continue
            for _, port in stack.member_ports(outputs(found), nodegroup.role):
                member = (port.get("name") or port["id"], stack.port_address(port))
                (masters if nodegroup.role == "master" else nodes).append(member)
        labels = ClusterLabels(self.cluster.labels)
        try:
            self.cluster.api_address = kube.ensure_emulator(
                self.ctx,
                self.cluster,
                masters,
                nodes,
                labels.kube_tag(),
                labels.cinder_csi_enabled(),
                unhealthy=labels.unhealthy(),
            )
        except Exception as error:
            LOG.exception("Kubernetes API emulator of cluster %s", self.cluster.uuid)
            return "Kubernetes API of the cluster did not start: %s" % error
        return None

    def _notify(self, action, outcome):
        conductor_utils.notify_about_cluster_operation(self.ctx, action, outcome, self.cluster)


def swarm_api_address(cluster_uuid):
    """A stable Docker API address per Swarm cluster; nothing listens there."""
    return "tcp://127.0.0.1:%d" % (28000 + int(cluster_uuid.replace("-", ""), 16) % 1000)
