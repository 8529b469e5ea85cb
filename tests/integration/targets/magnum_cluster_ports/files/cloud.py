"""Direct openstacksdk access for the magnum_cluster_ports target.

The target builds its cluster with it, and reads what Heat and Neutron hold with it, so its assertions check the
cloud rather than what the module under test reports. Usage (OS_CLOUD/OS_CLIENT_CONFIG_FILE select the cloud):

    cloud.py create CLUSTER TEMPLATE SPEC  create the template (SPEC: integration_template as JSON) and the cluster,
                                           wait for CREATE_COMPLETE
    cloud.py groups CLUSTER DRIVER       the master and worker groups of the cluster, with their rules: the
                                         resources of its Heat stack (Heat driver), or the groups Cluster API
                                         Provider OpenStack made under the names magnum-capi-helm gives it
    cloud.py delete CLUSTER TEMPLATE     delete the cluster (waiting until it is gone) and the template
"""

import json
import re
import sys
import time

import openstack

TIMEOUT = 600


def magnum(conn):
    return conn.container_infrastructure_management


def wait_for(check, what):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        done = check()
        if done:
            return done
        time.sleep(2)
    sys.exit('timed out waiting for %s' % what)


def create(conn, name, template_name, spec):
    spec = json.loads(spec)
    template = magnum(conn).find_cluster_template(template_name)
    if template is None:
        template = magnum(conn).create_cluster_template(
            name=template_name, coe='kubernetes', image_id=spec['image'], external_network_id='public',
            flavor_id=spec['flavor'], master_flavor_id=spec['master_flavor'], keypair_id='default',
            network_driver=spec['network_driver'], labels={'kube_tag': spec['kube_version']})
    cluster = magnum(conn).find_cluster(name)
    if cluster is None:
        cluster = magnum(conn).create_cluster(name=name, cluster_template_id=template.id, master_count=1,
                                              node_count=2, create_timeout=10)

    def complete():
        # Magnum answers 202 before its conductor has written the row: a read right after can fail for a moment.
        try:
            current = magnum(conn).get_cluster(cluster.id)
        except (openstack.exceptions.NotFoundException, openstack.exceptions.BadRequestException):
            return None
        if current.status.endswith('_FAILED'):
            sys.exit('cluster %s: %s %s' % (name, current.status, current.status_reason))
        return current if current.status == 'CREATE_COMPLETE' else None
    done = wait_for(complete, 'cluster %s' % name)
    return {'uuid': done.uuid, 'stack_id': done.stack_id, 'master_addresses': done.master_addresses,
            'node_addresses': done.node_addresses}


def rule(record):
    return dict((key, record.get(key)) for key in (
        'id', 'direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix',
        'remote_group_id', 'description'))


def stack_groups(conn, cluster):
    """{role: group ID} from the cluster's Heat stack (the Heat driver)."""
    roles = {'secgroup_kube_master': 'master', 'secgroup_kube_minion': 'worker'}
    return dict((roles[resource.name], resource.physical_resource_id)
                for resource in conn.orchestration.resources(cluster.stack_id) if resource.name in roles)


def cluster_api_groups(conn, cluster):
    """{role: group ID} under the exact names CAPO gives them for magnum-capi-helm's cluster.

    magnum-capi-helm names the Cluster API cluster after stack_id in the namespace magnum-<project id, alphanumerics
    only>; CAPO names the groups k8s-cluster-<namespace>-<cluster>-secgroup-controlplane|worker.
    """
    namespace = 'magnum-%s' % re.sub('[^a-z0-9]', '', cluster.project_id.lower())
    found = {}
    for role, suffix in (('master', 'controlplane'), ('worker', 'worker')):
        name = 'k8s-cluster-%s-%s-secgroup-%s' % (namespace, cluster.stack_id, suffix)
        matches = list(conn.network.security_groups(name=name))
        if len(matches) != 1:
            sys.exit('%d security groups named %s' % (len(matches), name))
        found[role] = matches[0].id
    return found


def groups(conn, name, driver):
    cluster = magnum(conn).find_cluster(name, ignore_missing=False)
    by_role = cluster_api_groups(conn, cluster) if driver == 'capi-helm' else stack_groups(conn, cluster)
    found = {}
    for role, group_id in by_role.items():
        if role:
            group = conn.network.get_security_group(group_id)
            rules = [rule(r) for r in group.security_group_rules]
            marked = [r for r in rules if (r['description'] or '').startswith('coe.magnum')]
            found[role] = {
                'id': group.id, 'name': group.name, 'rules': rules,
                # "IPv4 tcp 80-80 0.0.0.0/0 coe.magnum: http" for each rule the collection added
                'marked': sorted('%s %s %s-%s %s %s' % (r['ethertype'], r['protocol'], r['port_range_min'],
                                                        r['port_range_max'], r['remote_ip_prefix'], r['description'])
                                 for r in marked),
                'others': sorted(r['id'] for r in rules if r not in marked),
            }
    return found


def delete(conn, name, template_name):
    cluster = magnum(conn).find_cluster(name)
    if cluster is not None:
        magnum(conn).delete_cluster(cluster.id)

        def gone():
            current = magnum(conn).find_cluster(cluster.id)
            if current is not None and current.status == 'DELETE_FAILED':
                sys.exit('cluster %s: DELETE_FAILED %s' % (name, current.status_reason))
            return current is None
        wait_for(gone, 'the deletion of cluster %s' % name)
    template = magnum(conn).find_cluster_template(template_name)
    if template is not None:
        magnum(conn).delete_cluster_template(template.id)
    return {'deleted': name}


def main():
    command, arguments = sys.argv[1], sys.argv[2:]
    conn = openstack.connect()
    handler = {'create': create, 'groups': groups, 'delete': delete}[command]
    json.dump(handler(conn, *arguments), sys.stdout)


if __name__ == '__main__':
    main()
