# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one cluster takes from the project's quotas, and how many such clusters still fit."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.coe.magnum.plugins.module_utils.cluster_drivers import CLUSTER_API, HEAT
from ansible_collections.coe.magnum.plugins.module_utils.storage.claim_manifest import parse_quantity

# Rules of the two groups of Magnum's Heat Kubernetes drivers (kubecluster.yaml): 14 in the master group, 5 in the
# minion group, 4 group-to-group rules, and the 2 egress rules Neutron adds to every new group.
HEAT_KUBERNETES_RULES = 14 + 5 + 4 + 2 * 2
QUOTA_LABELS = dict(
    instances='instances', cores='cores', ram='RAM (MiB)', floating_ips='floating IPs',
    security_groups='security groups', security_group_rules='security group rules', ports='ports',
    networks='networks', routers='routers', volumes='volumes', gigabytes='volume gigabytes',
    clusters='Magnum clusters',
)
QUOTA_SERVICE = dict(instances='compute', cores='compute', ram='compute', floating_ips='network',
                     security_groups='network', security_group_rules='network', ports='network',
                     networks='network', routers='network', volumes='volume', gigabytes='volume',
                     clusters='magnum')


def as_int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def claim_gigabytes(claims):
    """Cinder gigabytes the claims of the storage_class role ask for (Cinder sizes volumes in whole GiB)."""
    total = 0
    for claim in claims:
        try:
            total += int(math.ceil(parse_quantity(claim.get('size') or '1Gi') / 2 ** 30))
        except ValueError:
            total += 1
    return total


def cluster_needs(settings, master_flavor, node_flavor, family, extra_rules=0, claims=()):
    """{resource: amount} one cluster of these settings (and its claims) takes; flavors are survey records or None
    (unknown)."""
    masters, nodes = settings['master_count'], settings['node_count']
    servers = masters + nodes
    needs = dict(instances=servers, clusters=1)
    if master_flavor and node_flavor:
        needs['cores'] = masters * master_flavor['vcpus'] + nodes * node_flavor['vcpus']
        needs['ram'] = masters * master_flavor['ram'] + nodes * node_flavor['ram']
    load_balancer = settings['master_lb_enabled']
    if family == CLUSTER_API:
        # Cluster API clusters always sit behind a load balancer, whose address is the one floating IP.
        needs['floating_ips'] = 1 if settings['floating_ip_enabled'] else 0
        needs['security_groups'] = 2
    else:
        needs['floating_ips'] = (servers + (1 if load_balancer else 0)) if settings['floating_ip_enabled'] else 0
        needs['security_groups'] = 2
        if family == HEAT:
            needs['security_group_rules'] = HEAT_KUBERNETES_RULES + extra_rules
    needs['ports'] = servers + (0 if settings['fixed_network'] else 1)
    if not settings['fixed_network']:
        needs['networks'] = 1
        needs['routers'] = 1
    volume_size = as_int(settings['docker_volume_size']) + as_int(settings['labels'].get('boot_volume_size'))
    volumes = servers * ((1 if as_int(settings['docker_volume_size']) else 0)
                         + (1 if as_int(settings['labels'].get('boot_volume_size')) else 0))
    needs['volumes'] = volumes + len(claims)
    needs['gigabytes'] = servers * volume_size + claim_gigabytes(claims)
    return needs


def quota_table(quotas):
    """{resource: {'limit', 'used'}} from the survey's per-service quotas; unknown services left out."""
    table = {}
    for service in ('compute', 'network', 'volume', 'magnum'):
        section = quotas.get(service) or {}
        if section.get('known'):
            table.update((name, value) for name, value in section.items() if isinstance(value, dict))
    return table


def capacity(needs, quotas):
    """How many clusters still fit: {'fit': n or None, 'short': [...], 'resources': [...], 'unknown': [...]}."""
    table = quota_table(quotas)
    rows, short, unknown = [], [], []
    fit = None
    for name, need in sorted(needs.items(), key=lambda item: QUOTA_LABELS[item[0]].lower()):
        if not need:
            continue
        quota = table.get(name)
        if quota is None or quota.get('limit') is None:
            reason = ((quotas.get(QUOTA_SERVICE[name]) or {}).get('reason')
                      or 'unknown, because the cloud reports no quota')
            unknown.append('%s: %s' % (QUOTA_LABELS[name], reason))
            continue
        limit, used = as_int(quota['limit'], -1), as_int(quota['used'])
        left = None if limit < 0 else max(limit - used, 0)
        count = None if left is None else left // need
        rows.append(dict(resource=name, label=QUOTA_LABELS[name], need=need, limit=limit, used=used, left=left,
                         clusters=count))
        if count is not None:
            fit = count if fit is None else min(fit, count)
            if count < 1:
                short.append('%s: a cluster needs %d, %d of %d left (%d used)'
                             % (QUOTA_LABELS[name], need, left, limit, used))
    return dict(fit=fit, short=short, resources=rows, unknown=unknown)
