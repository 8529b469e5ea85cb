# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Magnum drivers the collection knows, by the (server_type, os, coe) triple each one `provides`.

Magnum picks a cluster's driver from the template's server_type, COE and the image's os_distro property, so a cloud's
images tell which drivers could serve them. The triples are those of the drivers' own `provides` properties: Magnum's
Heat drivers (k8s_fedora_coreos_v1, k8s_fedora_atomic_v1, swarm_fedora_atomic_v1/v2), magnum-capi-helm
(ubuntu, flatcar) and magnum-cluster-api (ubuntu, ubuntu-focal, flatcar, rockylinux).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

HEAT = 'heat'
CLUSTER_API = 'cluster-api'

KNOWN_DRIVERS = (
    dict(name='k8s_fedora_coreos_v1', family=HEAT, server_type='vm', os='fedora-coreos', coe='kubernetes'),
    dict(name='k8s_fedora_atomic_v1', family=HEAT, server_type='vm', os='fedora-atomic', coe='kubernetes'),
    dict(name='swarm_fedora_atomic_v2', family=HEAT, server_type='vm', os='fedora-atomic', coe='swarm'),
    dict(name='k8s_capi_helm_v1', family=CLUSTER_API, server_type='vm', os='ubuntu', coe='kubernetes'),
    dict(name='k8s_capi_helm_v1', family=CLUSTER_API, server_type='vm', os='flatcar', coe='kubernetes'),
    dict(name='k8s_cluster_api_ubuntu', family=CLUSTER_API, server_type='vm', os='ubuntu', coe='kubernetes'),
    dict(name='k8s_cluster_api_ubuntu_focal', family=CLUSTER_API, server_type='vm', os='ubuntu-focal',
         coe='kubernetes'),
    dict(name='k8s_cluster_api_flatcar', family=CLUSTER_API, server_type='vm', os='flatcar', coe='kubernetes'),
    dict(name='k8s_cluster_api_rockylinux', family=CLUSTER_API, server_type='vm', os='rockylinux', coe='kubernetes'),
)


def drivers_for(os_distro, coe=None, server_type='vm'):
    """The known drivers that provide this image's os_distro (and COE, when given)."""
    return [driver for driver in KNOWN_DRIVERS
            if driver['os'] == os_distro and driver['server_type'] == (server_type or 'vm')
            and (coe is None or driver['coe'] == coe)]


def families_for(os_distro, coe=None, server_type='vm'):
    return sorted(set(driver['family'] for driver in drivers_for(os_distro, coe, server_type)))


def known_distros(coe=None):
    return sorted(set(driver['os'] for driver in KNOWN_DRIVERS if coe is None or driver['coe'] == coe))


# Drivers whose cluster upgrade moves every node group at once and leaves Magnum's node group `version` records as
# they were: magnum-capi-helm's upgrade_cluster points the cluster at the new template and renders one Helm release
# for all the groups, whatever node group the request names.
UPGRADES_EVERY_GROUP = ('k8s_capi_helm_v1',)


def upgrades_every_group(template):
    """Whether the template's driver (the `driver` field Magnum fills in) upgrades every node group with the cluster."""
    return (template or {}).get('driver') in UPGRADES_EVERY_GROUP
