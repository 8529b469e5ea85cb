# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a cluster offers for storage: its version, the storage.k8s.io versions it serves, and the Cinder provisioner
that fits it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.kube_client import kube_path

CINDER_CSI = 'cinder.csi.openstack.org'
CINDER_IN_TREE = 'kubernetes.io/cinder'
STORAGE_GROUP = 'storage.k8s.io'
# Preference order of the storage.k8s.io versions that carry StorageClass and CSIDriver.
STORAGE_CLASS_VERSIONS = ('v1', 'v1beta1')
# The in-tree Cinder provisioner was removed from Kubernetes in 1.26.
IN_TREE_CINDER_REMOVED = (1, 26)


def parse_version(git_version):
    """(major, minor) from a /version gitVersion such as v1.30.4 or v1.5.3+coreos.0."""
    match = re.match(r'^v?(\d+)\.(\d+)', git_version or '')
    if not match:
        raise CoeError('The cluster reports a Kubernetes version that cannot be read: %r' % git_version)
    return int(match.group(1)), int(match.group(2))


def version_text(version):
    return '%d.%d' % version


class ClusterFacts:
    """The discovered facts the storage decisions depend on."""

    def __init__(self, git_version, storage_versions, csidriver_version=None, cinder_csi_driver=False):
        self.git_version = git_version
        self.version = parse_version(git_version)
        self.storage_versions = list(storage_versions)
        self.csidriver_version = csidriver_version
        self.cinder_csi_driver = cinder_csi_driver

    @property
    def storage_api_version(self):
        """The storage.k8s.io version to read and write StorageClasses with; None when the cluster serves none."""
        for version in STORAGE_CLASS_VERSIONS:
            if version in self.storage_versions:
                return '%s/%s' % (STORAGE_GROUP, version)
        return None

    def require_storage_api(self):
        if self.storage_api_version is None:
            raise CoeError('Kubernetes %s serves no StorageClass API (storage.k8s.io versions served: %s)'
                           % (self.git_version, ', '.join(self.storage_versions) or 'none'))

    def at_least(self, version):
        return self.version >= version

    def as_dict(self):
        return dict(
            git_version=self.git_version,
            version=version_text(self.version),
            storage_versions=self.storage_versions,
            storage_api_version=self.storage_api_version,
            cinder_csi_driver=self.cinder_csi_driver,
        )


def served_versions(group_document):
    """Versions listed in an APIGroup document (GET /apis/<group>)."""
    return [item.get('version') for item in (group_document or {}).get('versions') or [] if item.get('version')]


def discover(client):
    """Read /version, the storage.k8s.io group, and whether the Cinder CSI driver is registered."""
    git_version = client.get('/version').get('gitVersion')
    group = client.find(kube_path('/apis', STORAGE_GROUP))
    storage_versions = served_versions(group)
    csidriver_version = None
    for version in STORAGE_CLASS_VERSIONS:
        if version not in storage_versions:
            continue
        resources = client.get(kube_path('/apis', STORAGE_GROUP, version)).get('resources') or []
        if any(resource.get('name') == 'csidrivers' for resource in resources):
            csidriver_version = version
            break
    cinder_csi_driver = False
    if csidriver_version:
        cinder_csi_driver = client.find(kube_path('/apis', STORAGE_GROUP, csidriver_version, 'csidrivers',
                                                  CINDER_CSI)) is not None
    return ClusterFacts(git_version, storage_versions, csidriver_version, cinder_csi_driver)


def choose_provisioner(requested, facts):
    """(provisioner, warnings) for the `provisioner` option; CoeError when no Cinder provisioner can work."""
    if requested == 'auto':
        if facts.cinder_csi_driver:
            return CINDER_CSI, []
        if not facts.at_least(IN_TREE_CINDER_REMOVED):
            return CINDER_IN_TREE, []
        raise CoeError(
            'provisioner=auto: Kubernetes %s has no in-tree Cinder provisioner (removed in 1.26) and the Cinder CSI '
            'driver (CSIDriver %s) is not installed. Create the cluster with the Magnum label '
            'cinder_csi_enabled=true so that Magnum installs it, or install the Cinder CSI driver, then run again.'
            % (facts.git_version, CINDER_CSI))
    warnings = []
    if requested == CINDER_CSI and not facts.cinder_csi_driver:
        warnings.append('provisioner %s: the Cinder CSI driver is not registered on the cluster (no CSIDriver %s); '
                        'claims of this class stay Pending until it is installed (Magnum label cinder_csi_enabled)'
                        % (CINDER_CSI, CINDER_CSI))
    if requested == CINDER_IN_TREE and facts.at_least(IN_TREE_CINDER_REMOVED) and not facts.cinder_csi_driver:
        warnings.append('provisioner %s: Kubernetes %s no longer has the in-tree Cinder provisioner and the Cinder '
                        'CSI driver that would serve it through CSI migration is not installed; claims of this '
                        'class stay Pending' % (CINDER_IN_TREE, facts.git_version))
    return requested, warnings
