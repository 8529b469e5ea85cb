#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: magnum_cloud_info
short_description: What a cloud offers for Magnum clusters, and whether a site.yml run can work on it
version_added: 0.1.0
description:
  - Reads, in one pass with the user's credentials, Magnum's API version range and the collection features it
    allows (resize 1.7, upgrade 1.8, node groups 1.9, a node count of 0 1.10), the drivers the cloud offers as far
    as its templates and images show them, the images usable for clusters, the flavors that fit a node, the
    external networks, whether Heat, Octavia, Cinder and Barbican are in the catalog, Cinder's volume types and
    availability zones, and the project's quotas and usage of what a cluster takes.
  - Given the variables of a C(playbooks/site.yml) run in O(variables), also says per step of site.yml whether it
    will work, what will fail and why, and what to change; and how many clusters of that template and size still
    fit in the project's quotas.
  - What the user's role may not read is reported as C(unknown, because ...), never as a failure of the module.
  - Read-only. The module fails only when the cloud cannot be reached at all; a variables file that cannot work is
    reported in RV(can_work) and RV(verdicts) (the doctor playbook fails on it).
author:
  - coe.magnum contributors (@coe-magnum)
options:
  variables:
    description:
      - The variables of a site.yml run, with the same names as in C(playbooks/vars/localcloud.yml)
        (C(cluster_template_image), C(cluster_master_count), C(storage_class_claims), ...). Variables not given
        take the roles' defaults.
      - Without it only the survey of the cloud is returned.
    type: dict
extends_documentation_fragment:
  - coe.magnum.openstack
  - coe.magnum.openstack.IGNORED_WAIT
  - coe.magnum.attributes.INFO_MODULE
  - coe.magnum.attributes.ACTION_GROUP
'''

EXAMPLES = r'''
- name: What the cloud offers
  coe.magnum.magnum_cloud_info:
  register: cloud

- name: Will my variables work here?
  coe.magnum.magnum_cloud_info:
    variables: "{{ lookup('file', 'my-cloud.yml') | from_yaml }}"
  register: doctor

- name: Print the report
  ansible.builtin.debug:
    msg: "{{ doctor.report }}"
'''

RETURN = r'''
cloud:
  description:
    - The survey, one key per section (C(magnum), C(services), C(templates), C(images), C(flavors),
      C(external_networks), C(keypairs), C(block_storage), C(quotas)); each has C(known), and when it is false a
      C(reason) that starts with C(unknown, because).
  returned: always
  type: dict
verdicts:
  description: Per step of site.yml (C(step), C(title), C(status) ok, warn, fail or unknown, and C(findings), each
    with C(status), C(message) and C(change), what to change).
  returned: when O(variables) is given
  type: list
  elements: dict
capacity:
  description: What one cluster of the variables takes (C(needs)), the quota rows (C(resources)), quotas that could
    not be read (C(unknown)), the shortages (C(short)) and how many more such clusters fit (C(fit), null when no
    quota limits them).
  returned: when O(variables) is given
  type: dict
can_work:
  description: False when some step of site.yml cannot work on this cloud with these variables.
  returned: when O(variables) is given
  type: bool
report:
  description: The survey and the verdicts as lines to print.
  returned: always
  type: list
  elements: str
'''

from ansible_collections.coe.magnum.plugins.module_utils.openstack_base import MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.cloud_report import report_lines
from ansible_collections.coe.magnum.plugins.module_utils.cloud_survey import CloudSurvey
from ansible_collections.coe.magnum.plugins.module_utils.cloud_verdict import FAIL, Verdict


class CloudInfoModule(MagnumModule):
    argument_spec = dict(variables=dict(type='dict'))

    def run(self):
        with self.cloud_call('authenticate'):
            self.connection.authorize()
        survey = CloudSurvey(self.connection, self.magnum).survey()
        result = dict(changed=False, cloud=survey)
        steps, capacity = [], None
        if self.params['variables'] is not None:
            verdict = Verdict(survey, self.params['variables'])
            steps = verdict.run()
            capacity = dict(verdict.capacity, needs=verdict.needs)
            result.update(verdicts=steps, capacity=capacity,
                          can_work=not any(step['status'] == FAIL for step in steps))
        result['report'] = report_lines(survey, steps, capacity)
        return result


def main():
    CloudInfoModule().execute()


if __name__ == '__main__':
    main()
