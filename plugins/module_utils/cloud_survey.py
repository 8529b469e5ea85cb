# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One read-only pass over a cloud: what it offers for Magnum clusters, section by section.

Every section is read on its own, so that a part the user's role may not read (another service's quotas, admin-only
fields) or a service the cloud lacks becomes {'known': False, 'reason': 'unknown, because ...'} and the rest of the
survey goes on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.cluster_drivers import drivers_for
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, http_status_of, translate
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import (
    FEATURE_DESCRIPTIONS, FEATURE_VERSIONS, format_version,
)
from ansible_collections.coe.magnum.plugins.module_utils.neutron import NeutronApi
from ansible_collections.coe.magnum.plugins.module_utils.survey_reads import SurveyReads

# Catalog service types, each with the older names clouds still register it under.
SERVICE_TYPES = {
    'orchestration': ('orchestration',),
    'load-balancer': ('load-balancer',),
    'block-storage': ('block-storage', 'volumev3', 'volumev2', 'volume'),
    'key-manager': ('key-manager',),
    'container-infra': ('container-infra',),
}
SERVICE_PURPOSES = {
    'orchestration': 'Heat, which the Heat drivers build clusters with',
    'load-balancer': 'Octavia, for master_lb_enabled and LoadBalancer Services',
    'block-storage': 'Cinder, for docker volumes and the StorageClass claims',
    'key-manager': 'Barbican, where some clouds keep cluster certificates',
    'container-infra': 'Magnum',
}
# Below these a Kubernetes node does not come up reliably (kubeadm's own preflight minimum is 2 CPUs and 1700 MiB
# on control plane nodes); a flavor with disk 0 boots from a volume.
MINIMUM_NODE = dict(vcpus=1, ram=2048, disk=10)
MINIMUM_MASTER = dict(vcpus=2, ram=2048, disk=10)
# The survey's names of Neutron's quotas, and Neutron's own (singular) names of them.
NETWORK_QUOTAS = dict(floating_ips='floatingip', security_groups='security_group',
                      security_group_rules='security_group_rule', ports='port', networks='network', routers='router')


def unknown_because(action, exc):
    """'unknown, because ...' for a read that failed: a refusal of the user's role said as such."""
    status = http_status_of(exc)
    if status in (401, 403):
        return 'unknown, because the user\'s role may not %s (HTTP %s)' % (action, status)
    if status in (404, 405, 501):
        return 'unknown, because the cloud does not offer to %s (HTTP %s)' % (action, status)
    if isinstance(exc, CoeError):
        return 'unknown, because %s' % exc.msg
    return 'unknown, because %s' % translate(exc, action).msg


def surveyed(action, read):
    try:
        return dict(read(), known=True)
    except Exception as exc:
        return dict(known=False, reason=unknown_because(action, exc))


def fits(flavor, minimum):
    return (flavor['vcpus'] >= minimum['vcpus'] and flavor['ram'] >= minimum['ram']
            and (flavor['disk'] == 0 or flavor['disk'] >= minimum['disk']))


def _limit_used(entry, used_key):
    """{'limit', 'used'} of a quota entry as the services give it in detail: {'limit': 10, '<used_key>': 3, ...}."""
    entry = entry if isinstance(entry, dict) else {}
    return dict(limit=entry.get('limit'), used=entry.get(used_key) or 0)


class CloudSurvey:
    """Reads with one connection and the gateways (Magnum's, Neutron's, and SurveyReads for Glance, Nova and Cinder);
    each method returns one section of the report."""

    def __init__(self, connection, magnum):
        self.connection = connection
        self.magnum = magnum
        self.reads = SurveyReads(connection)
        self.neutron = NeutronApi(connection)
        self._project_id = None

    @property
    def project_id(self):
        if self._project_id is None:
            self._project_id = self.connection.current_project_id
        return self._project_id

    def services(self):
        def read():
            types = set(entry.get('type') for entry in self.connection.service_catalog or [])
            return dict((name, dict(present=bool(types & set(aliases)), purpose=SERVICE_PURPOSES[name]))
                        for name, aliases in SERVICE_TYPES.items())
        return surveyed('read the service catalog', read)

    def magnum_api(self):
        def read():
            low, high = self.magnum.server_version_range()
            features = dict((name, dict(available=high >= tuple(int(p) for p in needed.split('.')),
                                        needs=needed, description=FEATURE_DESCRIPTIONS[name]))
                            for name, needed in FEATURE_VERSIONS.items())
            return dict(min_version=format_version(low), max_version=format_version(high), features=features)
        return surveyed('read Magnum\'s API versions', read)

    def templates(self):
        def read():
            records = self.magnum.list('clustertemplates')
            return dict(items=[dict((key, record.get(key)) for key in (
                'name', 'uuid', 'coe', 'image_id', 'server_type', 'driver', 'flavor_id', 'master_flavor_id',
                'external_network_id', 'keypair_id', 'labels', 'master_lb_enabled', 'floating_ip_enabled',
                'docker_volume_size', 'volume_driver', 'tls_disabled', 'public')) for record in records])
        return surveyed('list cluster templates', read)

    def clusters(self):
        def read():
            records = self.magnum.list('clusters')
            mine = [r for r in records if r.get('project_id') in (None, self.project_id)]
            return dict(count=len(mine), names=sorted(r.get('name') or r.get('uuid') for r in mine))
        return surveyed('list clusters', read)

    def images(self):
        def read():
            items = []
            # Glance v2 gives an image's own properties (os_distro, kube_version) beside its fields.
            for image in self.reads.images():
                os_distro = image.get('os_distro')
                drivers = sorted(set(d['name'] for d in drivers_for(os_distro))) if os_distro else []
                items.append(dict(name=image.get('name'), id=image.get('id'), status=image.get('status'),
                                  os_distro=os_distro, kube_version=image.get('kube_version'),
                                  drivers=drivers, usable=bool(drivers)))
            return dict(items=sorted(items, key=lambda item: (not item['usable'], item['name'] or '')))
        return surveyed('list images', read)

    def flavors(self):
        def read():
            items = []
            for flavor in self.reads.flavors():
                item = dict(name=flavor.get('name'), id=flavor.get('id'), vcpus=flavor.get('vcpus') or 0,
                            ram=flavor.get('ram') or 0, disk=flavor.get('disk') or 0)
                item.update(fits_master=fits(item, MINIMUM_MASTER), fits_node=fits(item, MINIMUM_NODE))
                items.append(item)
            return dict(items=sorted(items, key=lambda item: (item['vcpus'], item['ram'], item['name'] or '')))
        return surveyed('list flavors', read)

    def external_networks(self):
        def read():
            return dict(items=[dict(name=net.get('name'), id=net.get('id'), status=net.get('status'))
                               for net in self.neutron.networks(**{'router:external': True})])
        return surveyed('list external networks', read)

    def keypairs(self):
        return surveyed('list keypairs', lambda: dict(items=sorted(k.get('name') for k in self.reads.keypairs())))

    def block_storage(self, present):
        if not present:
            return dict(known=True, present=False, volume_types=[], default_type=None, availability_zones=[])

        def read():
            types = sorted(t.get('name') for t in self.reads.volume_types())
            zones = sorted(zone.get('zoneName') for zone in self.reads.volume_zones()
                           if (zone.get('zoneState') or {}).get('available', True))
            return dict(present=True, volume_types=types, default_type=self.reads.default_volume_type(),
                        availability_zones=zones)
        return surveyed('read Cinder\'s volume types and availability zones', read)

    def quotas(self, block_storage_present):
        """{resource: {'limit', 'used'}} per service; limit -1 is unlimited."""
        project = self.project_id

        def compute():
            quota = self.reads.compute_quota(project)
            return dict((name, _limit_used(quota.get(name), 'in_use')) for name in ('instances', 'cores', 'ram'))

        def network():
            quota = self.neutron.quota_details(project)
            return dict((name, _limit_used(quota.get(key), 'used')) for name, key in NETWORK_QUOTAS.items())

        def volume():
            quota = self.reads.volume_quota(project)
            return dict((name, _limit_used(quota.get(name), 'in_use')) for name in ('volumes', 'gigabytes'))

        def magnum():
            limit = self.magnum.cluster_quota(project)
            clusters = self.clusters()
            if not clusters['known']:
                raise CoeError(clusters['reason'][len('unknown, because '):])
            return dict(clusters=dict(limit=limit, used=clusters['count']))

        sections = dict(
            compute=surveyed('read the project\'s compute quotas', compute),
            network=surveyed('read the project\'s network quotas', network),
            magnum=surveyed('read the project\'s Magnum cluster quota', magnum),
        )
        if block_storage_present:
            sections['volume'] = surveyed('read the project\'s volume quotas', volume)
        else:
            sections['volume'] = dict(known=False, reason='unknown, because the cloud has no Cinder (block-storage) '
                                                          'in its catalog')
        return dict(project_id=project, **sections)

    def survey(self):
        services = self.services()
        storage_present = services.get('known') and services['block-storage']['present']
        return dict(
            magnum=self.magnum_api(),
            services=services,
            templates=self.templates(),
            images=self.images(),
            flavors=self.flavors(),
            external_networks=self.external_networks(),
            keypairs=self.keypairs(),
            block_storage=self.block_storage(storage_present),
            quotas=self.quotas(storage_present),
        )
