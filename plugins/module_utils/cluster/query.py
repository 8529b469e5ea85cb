# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading clusters: one by name or ID, or the detailed list with the filters Magnum's API does not have."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import COLLECTION, public_record
from ansible_collections.coe.magnum.plugins.module_utils.errors import http_status_of
from ansible_collections.coe.magnum.plugins.module_utils.validation import is_cluster_ident


def list_clusters(magnum):
    """Every cluster the user can see (the detail list); MagnumApi.list retries Magnum's transient list errors."""
    return magnum.list(COLLECTION)


def find_clusters(magnum, name=None, statuses=None, template_uuid=None):
    """Clusters matching every filter given; a name (or ID) is looked up with one GET unless several share it."""
    if name and not is_cluster_ident(name):
        return []  # Magnum makes no cluster by such a name, and no path could carry it
    if name:
        try:
            found = magnum.find(COLLECTION, name)
        except Exception as exc:
            if http_status_of(exc) != 409:
                raise
            clusters = [c for c in list_clusters(magnum) if name in (c.get('name'), c.get('uuid'))]
        else:
            clusters = [found] if found is not None else []
    else:
        clusters = list_clusters(magnum)
    if statuses:
        clusters = [c for c in clusters if c.get('status') in statuses]
    if template_uuid:
        clusters = [c for c in clusters if c.get('cluster_template_id') == template_uuid]
    return sorted((public_record(c) for c in clusters), key=lambda c: (c.get('name') or '', c.get('uuid') or ''))


def node_groups(magnum, uuid):
    """The node groups of a cluster (Magnum API 1.9)."""
    with magnum.at('nodegroups'):
        return magnum.list_nodegroups(uuid)


def with_node_groups(magnum, clusters):
    return [dict(cluster, nodegroups=[public_record(group) for group in node_groups(magnum, cluster['uuid'])])
            for cluster in clusters]
