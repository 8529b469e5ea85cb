# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster templates: module options to Magnum fields, comparison, and the update Magnum will accept."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.patch import differences, normalise_labels

COLLECTION = 'clustertemplates'

# module option -> (Magnum field, kind of OpenStack resource it names or None)
FIELDS = {
    'name': ('name', None),
    'coe': ('coe', None),
    'image': ('image_id', 'image'),
    'keypair': ('keypair_id', 'keypair'),
    'external_network': ('external_network_id', 'network'),
    'fixed_network': ('fixed_network', 'network'),
    'fixed_subnet': ('fixed_subnet', 'subnet'),
    'flavor': ('flavor_id', 'flavor'),
    'master_flavor': ('master_flavor_id', 'flavor'),
    'dns_nameserver': ('dns_nameserver', None),
    'network_driver': ('network_driver', None),
    'volume_driver': ('volume_driver', None),
    'docker_volume_size': ('docker_volume_size', None),
    'docker_storage_driver': ('docker_storage_driver', None),
    'labels': ('labels', None),
    'floating_ip_enabled': ('floating_ip_enabled', None),
    'master_lb_enabled': ('master_lb_enabled', None),
    'public': ('public', None),
    'hidden': ('hidden', None),
    'tls_disabled': ('tls_disabled', None),
    'registry_enabled': ('registry_enabled', None),
    'http_proxy': ('http_proxy', None),
    'https_proxy': ('https_proxy', None),
    'no_proxy': ('no_proxy', None),
    'server_type': ('server_type', None),
    'insecure_registry': ('insecure_registry', None),
    'tags': ('tags', None),
    'apiserver_port': ('apiserver_port', None),
    'driver': ('driver', None),
}
MAGNUM_TO_OPTION = dict((field, option) for option, (field, _kind) in FIELDS.items())
RESOURCE_KIND = dict((field, kind) for field, kind in FIELDS.values() if kind)

# Magnum lets these change while clusters use the template; anything else is refused.
CHANGEABLE_WHEN_REFERENCED = frozenset(('name', 'public', 'hidden'))


def wanted_fields(params):
    """The Magnum fields the user asked for (None means 'whatever Magnum has or defaults to')."""
    wanted = {}
    for option, (field, _kind) in FIELDS.items():
        value = params.get(option)
        if value is None:
            continue
        if option == 'labels':
            value = normalise_labels(value)
        elif option == 'tags':
            value = ','.join(str(tag) for tag in value) if isinstance(value, list) else str(value)
        elif option == 'dns_nameserver' and isinstance(value, list):
            value = ','.join(value)
        wanted[field] = value
    return wanted


def validate_references(resolver, wanted):
    """Resolve every named image, flavor, network, subnet and keypair so bad names fail before any change, and
    check what Magnum would only find out later: the image's os_distro (which selects the driver), and a
    load-balancer service for master_lb_enabled (clusters of the template would fail in Heat minutes later)."""
    for field, kind in sorted(RESOURCE_KIND.items()):
        if wanted.get(field):
            record = resolver.find(kind, wanted[field], MAGNUM_TO_OPTION[field])
            if kind == 'image':
                require_os_distro(record, wanted[field])
    if wanted.get('master_lb_enabled') and not resolver.has_service('load-balancer'):
        raise CoeError('master_lb_enabled is true but the cloud has no load-balancer service (Octavia) in its '
                       'catalog, so every cluster of this template would fail: set master_lb_enabled to false.',
                       parameter='master_lb_enabled')


def require_os_distro(image, given):
    """Magnum picks the driver by the image's os_distro property; without it, it refuses the template."""
    distro = image.get('os_distro') or (image.get('properties') or {}).get('os_distro')
    if not distro:
        raise CoeError('Image %r has no os_distro property, which Magnum needs to choose a driver (parameter '
                       '`image`): set it, for example `openstack image set --property os_distro=fedora-coreos %s`.'
                       % (given, image.get('id') or given), parameter='image')


def compare(resolver, current, wanted):
    """The changes from current to wanted; references compare by the resource they designate."""
    def equal(field, existing, value):
        if field in RESOURCE_KIND:
            return resolver.same(RESOURCE_KIND[field], existing, value, MAGNUM_TO_OPTION[field])
        if field == 'labels':
            return normalise_labels(existing or {}) == value
        if field == 'tags':
            return _split(existing) == _split(value)
        return None
    return differences(current, wanted, equal)


def _split(tags):
    return sorted(tag.strip() for tag in (tags or '').split(',') if tag.strip())


def public_record(record):
    """A template record for results: Magnum's fields without the API links."""
    return dict((key, value) for key, value in (record or {}).items() if key != 'links')


def diff_view(record, fields):
    return dict((field, (record or {}).get(field)) for field in sorted(fields))


def referencing_clusters(magnum, template):
    """Names of the clusters (visible to this user) built from the template."""
    return sorted(cluster.get('name') or cluster.get('uuid') for cluster in magnum.list('clusters')
                  if cluster.get('cluster_template_id') == template.get('uuid'))


def refuse_referenced_update(template, changes, clusters):
    fixed = [change for change in changes if change['field'] not in CHANGEABLE_WHEN_REFERENCED]
    raise CoeError(
        'Cluster template %r is used by %s; Magnum then only lets name, public and hidden change, but these '
        'fields differ: %s. Create a new template (and upgrade the clusters to it) instead.' % (
            template.get('name'), ('clusters ' + ', '.join(clusters)) if clusters else 'one or more clusters',
            '; '.join('%s (current %r, wanted %r)' % (MAGNUM_TO_OPTION.get(c['field'], c['field']),
                                                      c['current'], c['wanted']) for c in fixed)),
        differing_fields=[MAGNUM_TO_OPTION.get(c['field'], c['field']) for c in fixed], clusters=clusters)
