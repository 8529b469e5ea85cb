"""The cluster labels the local cloud's driver reads: Magnum's own and the ones that steer it for tests."""

from magnum.common import exception
from oslo_utils import strutils

DEFAULT_KUBE_TAG = "v1.30.4"
FAIL = "localcloud_fail"
DELAY = "localcloud_delay"
RECORD_ONLY = "localcloud_record_only"
UNHEALTHY = "localcloud_unhealthy"
KEEP_TEMPLATE_ID = "localcloud_keep_template_id"
FAILABLE_ACTIONS = ("create", "update", "delete")


class ClusterLabels:
    def __init__(self, labels):
        self.labels = dict(labels or {})

    def validate(self):
        self.failing_actions()
        self.delay()
        self.record_only()
        self.cinder_csi_enabled()
        self.unhealthy()
        self.keeps_template_id()

    def failing_actions(self):
        """The actions label localcloud_fail makes fail, e.g. `create` or `update,delete`."""
        value = self.labels.get(FAIL) or ""
        actions = {item.strip().lower() for item in value.split(",") if item.strip()}
        unknown = sorted(actions.difference(FAILABLE_ACTIONS))
        if unknown:
            raise exception.InvalidParameterValue(
                "Label %s: unknown action(s) %s; expected a comma-separated list of %s."
                % (FAIL, ", ".join(unknown), ", ".join(FAILABLE_ACTIONS))
            )
        return actions

    def fails(self, action, strict=True):
        """Whether the label makes `action` fail; strict=False reads an invalid label as failing nothing, so a
        cluster created with one can still be deleted."""
        try:
            return action in self.failing_actions()
        except exception.InvalidParameterValue:
            if strict:
                raise
            return False

    def delay(self):
        """Seconds each operation stays in progress (label localcloud_delay)."""
        value = self.labels.get(DELAY) or "0"
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1
        if seconds < 0:
            raise exception.InvalidParameterValue(
                "Label %s: %r is not a number of seconds (0 or more)." % (DELAY, value)
            )
        return seconds

    def record_only(self, strict=True):
        """Whether the cluster is a Magnum record only (label localcloud_record_only): no stack, ports or Kubernetes
        API; strict=False reads an invalid label as false, so a cluster created with one can still be deleted."""
        value = self.labels.get(RECORD_ONLY, "false")
        try:
            return strutils.bool_from_string(value, strict=True)
        except ValueError:
            if strict:
                raise exception.InvalidParameterValue("Label %s: %r is not a boolean." % (RECORD_ONLY, value)) from None
            return False

    def _flag(self, label):
        value = self.labels.get(label, "false")
        try:
            return strutils.bool_from_string(value, strict=True)
        except ValueError:
            raise exception.InvalidParameterValue("Label %s: %r is not a boolean." % (label, value)) from None

    def unhealthy(self):
        """Whether the cluster's Kubernetes API fails its health checks (label localcloud_unhealthy)."""
        return self._flag(UNHEALTHY)

    def keeps_template_id(self):
        """Whether an upgrade leaves the cluster's cluster_template_id as it was, as some drivers do (label
        localcloud_keep_template_id): the nodes and coe_version change, the template reference does not."""
        return self._flag(KEEP_TEMPLATE_ID)

    def kube_tag(self):
        return self.labels.get("kube_tag") or DEFAULT_KUBE_TAG

    def cinder_csi_enabled(self):
        value = self.labels.get("cinder_csi_enabled", "true")
        try:
            return strutils.bool_from_string(value, strict=True)
        except ValueError:
            raise exception.InvalidParameterValue("Label cinder_csi_enabled: %r is not a boolean." % value) from None
