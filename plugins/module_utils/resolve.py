# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding images, flavors, networks, subnets, keypairs, templates and clusters by name or ID."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, http_status_of, translate
from ansible_collections.coe.magnum.plugins.module_utils.openstack import service_endpoint
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import addressable
from ansible_collections.coe.magnum.plugins.module_utils.validation import check_cluster_name

# kind -> (proxy attribute of the openstacksdk Connection, finder method, words for messages)
SDK_FINDERS = {
    'image': ('image', 'find_image', 'image'),
    'flavor': ('compute', 'find_flavor', 'flavor'),
    'network': ('network', 'find_network', 'network'),
    'subnet': ('network', 'find_subnet', 'subnet'),
    'keypair': ('compute', 'find_keypair', 'keypair'),
    'security_group': ('network', 'find_security_group', 'security group'),
}
# The list method of each kind on the same proxy (security_group -> security_groups, ...).
SDK_LISTERS = dict((kind, finder[len('find_'):] + 's') for kind, (_proxy, finder, _words) in SDK_FINDERS.items())
# openstacksdk joins an ID into the path as it is (openstack.utils.urljoin) and requests reads `#` as a fragment,
# `?` as a query and keeps `%xx` as an escape: a name with any of these would be read as another resource's ID.
# Such names are looked up in the list (SDK_LISTERS) and compared exactly (IDs never contain them).
_NOT_IN_A_PATH = re.compile(r'[#?%/]|^\.\.?$')

MAGNUM_COLLECTIONS = {
    'cluster_template': ('clustertemplates', 'cluster template'),
    'cluster': ('clusters', 'cluster'),
}


def _record(resource):
    if isinstance(resource, dict):
        return resource
    return resource.to_dict(computed=False) if hasattr(resource, 'to_dict') else dict(resource)


class Resolver:
    """Name-or-ID lookups, each failing with a message that names the module parameter."""

    def __init__(self, connection, magnum=None):
        self._connection = connection
        self._magnum = magnum
        self._cache = {}

    def find(self, kind, name_or_id, parameter):
        """The resource as a dict, or a CoeError naming `parameter` when none or several match."""
        key = (kind, name_or_id)
        if key not in self._cache:
            self._cache[key] = self._find(kind, name_or_id, parameter)
        return self._cache[key]

    def _find(self, kind, name_or_id, parameter):
        proxy_name, method, words = SDK_FINDERS[kind]
        finder = getattr(getattr(self._connection, proxy_name), method)
        if _NOT_IN_A_PATH.search(name_or_id or ''):
            finder = self._listed_finder(kind, words, parameter)
        try:
            resource = finder(name_or_id, ignore_missing=True)
        except Exception as exc:  # DuplicateResource and HTTP errors alike
            if type(exc).__name__ == 'DuplicateResource':
                raise CoeError('Several %ss are named %r (parameter `%s`); give the ID instead.'
                               % (words, name_or_id, parameter), parameter=parameter) from exc
            raise translate(exc, 'look up %s %r (parameter `%s`)' % (words, name_or_id, parameter)) from exc
        if resource is None:
            raise CoeError('No %s named or with ID %r was found (parameter `%s`).' % (words, name_or_id, parameter),
                           parameter=parameter)
        return _record(resource)

    def _listed_finder(self, kind, words, parameter):
        lister = getattr(getattr(self._connection, SDK_FINDERS[kind][0]), SDK_LISTERS[kind])

        def find(name, ignore_missing=True):
            matches = [item for item in lister() if _record(item).get('name') == name]
            if len(matches) > 1:
                raise CoeError('Several %ss are named %r (parameter `%s`); give the ID instead.'
                               % (words, name, parameter), parameter=parameter)
            return matches[0] if matches else None
        return find

    def same(self, kind, stored, wanted, parameter):
        """Whether a stored reference (name or ID, as Magnum keeps it) designates the wanted resource."""
        if stored == wanted:
            return True
        if stored in (None, '') or wanted in (None, ''):
            return False
        wanted_record = self.find(kind, wanted, parameter)
        if stored in (wanted_record.get('id'), wanted_record.get('name')):
            return True
        try:
            stored_record = self.find(kind, stored, parameter)
        except CoeError:
            return False
        return stored_record.get('id') == wanted_record.get('id')

    def magnum_get(self, kind, name_or_id, parameter=None):
        """A template or cluster by name or ID through Magnum (one request), or None when there is none."""
        collection, words = MAGNUM_COLLECTIONS[kind]
        if kind == 'cluster':
            check_cluster_name(name_or_id, parameter or 'name')
        if not addressable(name_or_id):
            return self._listed(collection, words, name_or_id, parameter)
        try:
            return self._magnum.find(collection, name_or_id)
        except Exception as exc:
            if http_status_of(exc) == 409:
                raise CoeError('Several %ss are named %r%s; give the ID instead.' % (
                    words, name_or_id, ' (parameter `%s`)' % parameter if parameter else ''),
                    parameter=parameter) from exc
            raise translate(exc, 'look up %s %r' % (words, name_or_id)) from exc

    def _listed(self, collection, words, name, parameter):
        """The one record named exactly `name`, from the list, for names no Magnum path can carry."""
        try:
            matches = self._magnum.named(collection, name)
        except Exception as exc:
            raise translate(exc, 'look up %s %r' % (words, name)) from exc
        if len(matches) > 1:
            raise CoeError('Several %ss are named %r%s; give the ID instead.' % (
                words, name, ' (parameter `%s`)' % parameter if parameter else ''), parameter=parameter)
        return matches[0] if matches else None

    def magnum_require(self, kind, name_or_id, parameter):
        record = self.magnum_get(kind, name_or_id, parameter)
        if record is None:
            raise CoeError('No %s named or with ID %r was found (parameter `%s`).'
                           % (MAGNUM_COLLECTIONS[kind][1], name_or_id, parameter), parameter=parameter)
        return record

    def has_service(self, service_type):
        """Whether the catalog lists the service type for the region and interface in use (no request to it)."""
        try:
            return bool(service_endpoint(self._connection, service_type))
        except Exception as exc:  # keystoneauth raises EndpointNotFound where it does not answer None
            if type(exc).__name__ == 'EndpointNotFound':
                return False
            raise translate(exc, 'read the service catalog') from exc
