#!/usr/bin/env python
"""A project of its own with one member user and lowered Neutron quotas, made and removed with the admin cloud.

    quota_project.py create NAME SECURITY_GROUPS   prints the member's cloud definition (JSON) for the modules
    quota_project.py delete NAME                   removes the project's groups, the quota, the user and the project
"""

import json
import secrets
import sys

import openstack


def create(cloud, name, security_groups):
    project = cloud.identity.create_project(name=name, domain_id='default', description='magnum_cloud_info test')
    password = secrets.token_urlsafe(16)
    user = cloud.identity.create_user(name=name, password=password, domain_id='default',
                                      default_project_id=project.id)
    role = cloud.identity.find_role('member')
    cloud.identity.assign_project_role_to_user(project, user, role)
    cloud.network.update_quota(project.id, security_groups=security_groups)
    auth = dict(cloud.config.config['auth'])
    auth.update(username=name, password=password, project_name=name, user_domain_name='Default',
                project_domain_name='Default')
    for key in ('project_id', 'user_id', 'domain_id', 'domain_name', 'project_domain_id', 'user_domain_id'):
        auth.pop(key, None)
    json.dump({'auth': auth, 'region_name': cloud.config.get_region_name(), 'interface': 'public',
               'project_id': project.id}, sys.stdout)


def delete(cloud, name):
    project = cloud.identity.find_project(name, domain_id='default')
    if project is not None:
        for group in cloud.network.security_groups(project_id=project.id):
            cloud.network.delete_security_group(group, ignore_missing=True)
        cloud.network.delete_quota(project.id, ignore_missing=True)
    user = cloud.identity.find_user(name, domain_id='default')
    if user is not None:
        cloud.identity.delete_user(user)
    if project is not None:
        cloud.identity.delete_project(project)
    json.dump({'deleted': project is not None}, sys.stdout)


def main():
    cloud = openstack.connect()
    if sys.argv[1] == 'create':
        create(cloud, sys.argv[2], int(sys.argv[3]))
    else:
        delete(cloud, sys.argv[2])


if __name__ == '__main__':
    main()
