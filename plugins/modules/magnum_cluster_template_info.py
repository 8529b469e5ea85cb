#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: magnum_cluster_template_info
short_description: List Magnum cluster templates or show one
version_added: 0.1.0
description:
  - Returns one cluster template by name or ID, or every template visible to the user, optionally filtered.
author:
  - coe.magnum contributors (@coe-magnum)
options:
  name:
    description:
      - Name or ID of one template. Without it, every template is listed.
    type: str
  coe:
    description:
      - Only templates of this container orchestration engine.
    type: str
  public:
    description:
      - Only public (V(true)) or only private (V(false)) templates.
    type: bool
  hidden:
    description:
      - Only hidden (V(true)) or only visible (V(false)) templates.
    type: bool
seealso:
  - module: coe.magnum.magnum_cluster_template
    description: Create, update or delete a template.
extends_documentation_fragment:
  - coe.magnum.openstack
  - coe.magnum.openstack.IGNORED_WAIT
  - coe.magnum.attributes.INFO_MODULE
  - coe.magnum.attributes.ACTION_GROUP
'''

EXAMPLES = r'''
- name: Every Kubernetes template
  coe.magnum.magnum_cluster_template_info:
    coe: kubernetes
  register: templates

- name: One template
  coe.magnum.magnum_cluster_template_info:
    name: k8s
  register: k8s_template
'''

RETURN = r'''
cluster_templates:
  description: The matching templates as Magnum describes them (empty when O(name) matches none).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.coe.magnum.plugins.module_utils.openstack_base import MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.cluster_template import COLLECTION, public_record

FILTERS = ('coe', 'public', 'hidden')


class ClusterTemplateInfoModule(MagnumModule):
    argument_spec = dict(
        name=dict(type='str'),
        coe=dict(type='str'),
        public=dict(type='bool'),
        hidden=dict(type='bool'),
    )

    def run(self):
        name = self.params['name']
        with self.cloud_call('list cluster templates'):
            if name:
                found = self.resolver.magnum_get('cluster_template', name, 'name')
                records = [found] if found else []
            else:
                records = self.magnum.list(COLLECTION)
        wanted = dict((key, self.params[key]) for key in FILTERS if self.params[key] is not None)
        records = [r for r in records if all(r.get(key) == value for key, value in wanted.items())]
        return dict(changed=False, cluster_templates=[public_record(r) for r in records])


def main():
    ClusterTemplateInfoModule().execute()


if __name__ == '__main__':
    main()
