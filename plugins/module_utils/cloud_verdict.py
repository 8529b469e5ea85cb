# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Given the variables of a site.yml run and a survey of the cloud: per step of site.yml, will it work, and if not,
why and what to change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.coe.magnum.plugins.module_utils.cloud_needs import capacity, cluster_needs
from ansible_collections.coe.magnum.plugins.module_utils.cluster_drivers import HEAT, families_for, known_distros

OK, WARN, FAIL, UNKNOWN = 'ok', 'warn', 'fail', 'unknown'
SEVERITY = {OK: 0, UNKNOWN: 1, WARN: 2, FAIL: 3}
STEPS = (
    ('cluster', 'Template and cluster'),
    ('cluster_config', 'Kubeconfig and certificates'),
    ('cluster_ports', 'Extra ports in the cluster\'s security groups'),
    ('storage_class', 'Default StorageClass and claims'),
    ('cluster_check', 'Cluster check'),
)
# The roles' defaults (roles/*/defaults/main.yml) for the variables the verdicts read.
DEFAULTS = dict(
    cluster_template_create=True, cluster_template_name='k8s', cluster_template_coe='kubernetes',
    cluster_master_count=1, cluster_node_count=1, cluster_merge_labels=False, cluster_allow_upgrade=False,
    cluster_ports_role='all', cluster_ports_rules=[], storage_class_enabled=True, storage_class_claims=[],
    storage_class_provisioner='auto', storage_class_parameters={}, cluster_config_rotate_ca=False,
    cluster_check_enabled=False,
)
# Kubernetes 1.26 removed the in-tree Cinder provisioner: from then on only the Cinder CSI driver provisions volumes.
IN_TREE_CINDER_REMOVED = (1, 26)


def _set(value):
    return value not in (None, '')


def _bool(value, default):
    if not _set(value):
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on')


def kube_version(text):
    match = re.match(r'^v?(\d+)\.(\d+)', str(text or ''))
    return (int(match.group(1)), int(match.group(2))) if match else None


class Variables:
    """The site.yml variables, with the roles' defaults for the ones not given."""

    def __init__(self, variables):
        self.values = dict(DEFAULTS)
        self.values.update((k, v) for k, v in (variables or {}).items() if _set(v) or k not in DEFAULTS)

    def get(self, name, default=None):
        value = self.values.get(name)
        return value if _set(value) else default


def _find(items, name_or_id):
    for item in items or []:
        if name_or_id in (item.get('id'), item.get('uuid'), item.get('name')):
            return item
    return None


def settings_of(variables, existing_template):
    """The cluster that site.yml would ask Magnum for: the variables, or the existing template's fields where the
    role does not create it, and the cluster's overrides."""
    v = variables
    from_template = existing_template if (existing_template and not _bool(v.get('cluster_template_create'), True)) \
        else None

    def field(variable, template_field, default=None):
        if from_template is not None:
            value = from_template.get(template_field)
            return value if _set(value) else default
        return v.get(variable, default)

    template_labels = dict(field('cluster_template_labels', 'labels', {}) or {})
    cluster_labels = dict(v.get('cluster_labels', {}) or {})
    if cluster_labels and not _bool(v.get('cluster_merge_labels'), False):
        labels = cluster_labels
    else:
        labels = dict(template_labels, **cluster_labels)
    return dict(
        template_name=v.get('cluster_template_name'),
        coe=field('cluster_template_coe', 'coe', 'kubernetes'),
        image=field('cluster_template_image', 'image_id'),
        external_network=field('cluster_template_external_network', 'external_network_id'),
        flavor=v.get('cluster_flavor') or field('cluster_template_flavor', 'flavor_id'),
        master_flavor=v.get('cluster_master_flavor') or field('cluster_template_master_flavor', 'master_flavor_id'),
        keypair=v.get('cluster_keypair') or field('cluster_template_keypair', 'keypair_id'),
        fixed_network=field('cluster_template_fixed_network', 'fixed_network'),
        volume_driver=field('cluster_template_volume_driver', 'volume_driver'),
        docker_volume_size=field('cluster_template_docker_volume_size', 'docker_volume_size', 0) or 0,
        master_lb_enabled=_bool(field('cluster_template_master_lb_enabled', 'master_lb_enabled'), False),
        floating_ip_enabled=_bool(field('cluster_template_floating_ip_enabled', 'floating_ip_enabled'), True),
        labels=dict((str(k), str(val).lower() if isinstance(val, bool) else str(val)) for k, val in labels.items()),
        master_count=int(v.get('cluster_master_count', 1)),
        node_count=int(v.get('cluster_node_count', 1)),
    )


class Step:
    def __init__(self, key, title):
        self.key, self.title, self.findings = key, title, []

    def add(self, status, message, change=None):
        self.findings.append(dict(status=status, message=message, change=change))

    @property
    def status(self):
        worst = OK
        for finding in self.findings:
            if SEVERITY[finding['status']] > SEVERITY[worst]:
                worst = finding['status']
        return worst

    def as_dict(self):
        return dict(step=self.key, title=self.title, status=self.status, findings=self.findings)


def _names(items, predicate=None, limit=8):
    names = [item.get('name') or item.get('id') for item in items or [] if predicate is None or predicate(item)]
    return ', '.join(names[:limit]) + (' ...' if len(names) > limit else '') if names else 'none'


class Verdict:
    """Checks the settings against the survey, step by step."""

    def __init__(self, survey, variables):
        self.survey = survey
        self.variables = Variables(variables)
        templates = survey['templates'].get('items') if survey['templates'].get('known') else []
        self.existing_template = _find(templates, self.variables.get('cluster_template_name'))
        self.settings = settings_of(self.variables, self.existing_template)
        self.image = None
        self.family = None
        self.capacity = None
        self.needs = None

    def _known(self, section):
        return self.survey[section].get('known')

    def _service(self, name):
        services = self.survey['services']
        return services[name]['present'] if services.get('known') else None

    def _feature(self, name):
        magnum = self.survey['magnum']
        return magnum['features'][name]['available'] if magnum.get('known') else None

    def run(self):
        steps = []
        for key, title in STEPS:
            if key == 'cluster_check' and not _bool(self.variables.get('cluster_check_enabled'), False):
                continue
            step = Step(key, title)
            getattr(self, 'check_' + key)(step)
            if not step.findings:
                step.add(OK, 'nothing on this cloud stands in its way')
            steps.append(step.as_dict())
        return steps

    # ---- template and cluster ------------------------------------------------------------------------------------
    def check_cluster(self, step):
        s, v = self.settings, self.variables
        if not _bool(v.get('cluster_template_create'), True):
            if not self._known('templates'):
                step.add(UNKNOWN, 'template %s: %s' % (s['template_name'], self.survey['templates']['reason']))
            elif self.existing_template is None:
                step.add(FAIL, 'cluster_template_create is false and there is no template %s'
                         % s['template_name'], 'set cluster_template_create: true, or name an existing template '
                         '(cluster_template_name)')
        elif self.existing_template is not None:
            step.add(OK, 'template %s exists; the role updates it to the variables (or says which fields it cannot '
                     'change while clusters use it)' % s['template_name'])
        if s['coe'] != 'kubernetes':
            step.add(WARN, 'coe %s: Magnum releases since 2023.2 accept only kubernetes templates' % s['coe'],
                     'use cluster_template_coe: kubernetes')
        self._check_image(step)
        self._check_network(step)
        self._check_flavors(step)
        self._check_keypair(step)
        self._check_services(step)
        self._check_api(step)
        self._check_quotas(step)

    def _check_image(self, step):
        s = self.settings
        if not _set(s['image']):
            step.add(FAIL, 'no image: cluster_template_image is not set', 'set cluster_template_image to one of: %s'
                     % self._usable_images())
            return
        if not self._known('images'):
            step.add(UNKNOWN, 'image %s: %s' % (s['image'], self.survey['images']['reason']))
            return
        image = self.image = _find(self.survey['images']['items'], s['image'])
        if image is None:
            step.add(FAIL, 'image %s does not exist (or is not visible to the project)' % s['image'],
                     'set cluster_template_image to one of: %s' % self._usable_images())
            return
        if not image['os_distro']:
            step.add(FAIL, 'image %s has no os_distro property: Magnum cannot choose a driver for it' % image['name'],
                     'set the property (openstack image set --property os_distro=fedora-coreos ...) or use one of: '
                     '%s' % self._usable_images())
            return
        families = families_for(image['os_distro'], s['coe'])
        if not families:
            step.add(WARN, 'image %s has os_distro %s, which no driver the collection knows provides for %s '
                     '(known: %s); the cloud may have a driver of its own' % (
                         image['name'], image['os_distro'], s['coe'], ', '.join(known_distros(s['coe']))))
        else:
            self.family = families[0]
            step.add(OK, 'image %s (os_distro %s%s): %s driver' % (
                image['name'], image['os_distro'],
                ', kube_version %s' % image['kube_version'] if image.get('kube_version') else '',
                ' or '.join(families)))
        if image['status'] != 'active':
            step.add(WARN, 'image %s is %s, not active: servers cannot boot from an image without data'
                     % (image['name'], image['status']), 'upload the image data or choose an active image')

    def _usable_images(self):
        if not self._known('images'):
            return 'unknown'
        return _names(self.survey['images']['items'], lambda image: image['usable'])

    def _check_network(self, step):
        s = self.settings
        if not self._known('external_networks'):
            step.add(UNKNOWN, 'external network: %s' % self.survey['external_networks']['reason'])
            return
        networks = self.survey['external_networks']['items']
        if not _set(s['external_network']):
            if s['floating_ip_enabled']:
                step.add(FAIL, 'no external network: cluster_template_external_network is not set, and floating IPs '
                         'need one', 'set cluster_template_external_network to one of: %s' % _names(networks))
            return
        if _find(networks, s['external_network']) is None:
            step.add(FAIL, 'external network %s does not exist or is not external' % s['external_network'],
                     'set cluster_template_external_network to one of: %s' % _names(networks))

    def _flavor(self, step, role, name, minimum_key):
        if not _set(name):
            return None
        if not self._known('flavors'):
            step.add(UNKNOWN, '%s flavor %s: %s' % (role, name, self.survey['flavors']['reason']))
            return None
        flavors = self.survey['flavors']['items']
        flavor = _find(flavors, name)
        if flavor is None:
            step.add(FAIL, '%s flavor %s does not exist' % (role, name),
                     'choose one of: %s' % _names(flavors, lambda f: f[minimum_key]))
        elif not flavor[minimum_key]:
            step.add(WARN, '%s flavor %s (%d vCPU, %d MiB, %d GB disk) is below what a Kubernetes %s needs' % (
                role, flavor['name'], flavor['vcpus'], flavor['ram'], flavor['disk'], role),
                'choose one of: %s' % _names(flavors, lambda f: f[minimum_key]))
        return flavor

    def _check_flavors(self, step):
        s = self.settings
        if not _set(s['flavor']) or not _set(s['master_flavor']):
            step.add(WARN, 'no %s set: Magnum uses its configured default flavor, which may not exist on this cloud'
                     % ' and '.join(name for name, value in (('cluster_template_flavor', s['flavor']),
                                                             ('cluster_template_master_flavor', s['master_flavor']))
                                    if not _set(value)),
                     'set cluster_template_flavor and cluster_template_master_flavor')
        self.node_flavor = self._flavor(step, 'node', s['flavor'], 'fits_node')
        # kubeadm, which the Cluster API drivers run, refuses control plane nodes with fewer than 2 CPUs.
        minimum = 'fits_master' if self.family != HEAT else 'fits_node'
        self.master_flavor = self._flavor(step, 'master', s['master_flavor'], minimum)

    def _check_keypair(self, step):
        s = self.settings
        if not _set(s['keypair']):
            step.add(WARN, 'no keypair: nobody can log in to the nodes', 'set cluster_template_keypair')
        elif not self._known('keypairs'):
            step.add(UNKNOWN, 'keypair %s: %s' % (s['keypair'], self.survey['keypairs']['reason']))
        elif s['keypair'] not in self.survey['keypairs']['items']:
            step.add(FAIL, 'keypair %s does not exist for this user (Magnum refuses the cluster)' % s['keypair'],
                     'upload it (openstack keypair create --public-key ...) or choose one of: %s'
                     % (', '.join(self.survey['keypairs']['items']) or 'none'))

    def _check_services(self, step):
        s = self.settings
        if self.family == HEAT and self._service('orchestration') is False:
            step.add(FAIL, 'the image\'s driver builds clusters with Heat, and the cloud has no Heat '
                     '(orchestration) in its catalog', 'use an image of a Cluster API driver')
        if s['master_lb_enabled'] and self._service('load-balancer') is False:
            step.add(FAIL, 'master_lb_enabled needs Octavia (load-balancer), which is not in the catalog',
                     'set cluster_template_master_lb_enabled: false and cluster_master_count: 1')
        if s['master_count'] > 1 and not s['master_lb_enabled']:
            step.add(FAIL, 'master_count %d without master_lb_enabled: Magnum refuses it ("master_count must be 1 '
                     'when master_lb_enabled is False")' % s['master_count'],
                     'set cluster_master_count: 1, or cluster_template_master_lb_enabled: true on a cloud with Octavia')
        if self._service('block-storage') is False:
            if int(s['docker_volume_size'] or 0) > 0:
                step.add(FAIL, 'docker_volume_size %s: each node gets a Cinder volume, and the cloud has no Cinder '
                         '(block-storage) in its catalog' % s['docker_volume_size'],
                         'set cluster_template_docker_volume_size: 0')
            if s['volume_driver'] == 'cinder':
                step.add(WARN, 'volume_driver cinder: the cloud has no Cinder (block-storage) in its catalog, so pods '
                         'cannot mount Cinder volumes', 'unset cluster_template_volume_driver')

    def _check_api(self, step):
        s, v = self.settings, self.variables
        magnum = self.survey['magnum']
        if not magnum.get('known'):
            step.add(UNKNOWN, 'Magnum API: %s' % magnum['reason'])
            return
        if s['node_count'] == 0 and not self._feature('zero_node_count'):
            step.add(FAIL, 'cluster_node_count 0 needs Magnum API 1.10; this cloud serves at most %s'
                     % magnum['max_version'], 'set cluster_node_count to 1 or more')
        if _bool(v.get('cluster_allow_upgrade'), False) and not self._feature('upgrade'):
            step.add(WARN, 'cluster_allow_upgrade: the upgrade action needs Magnum API 1.8; this cloud serves at most '
                     '%s, so a changed template of an existing cluster fails' % magnum['max_version'])
        if not self._feature('resize'):
            step.add(OK, 'node count changes of an existing cluster use PATCH: the resize action needs Magnum API '
                     '1.7 and this cloud serves at most %s' % magnum['max_version'])

    def _check_quotas(self, step):
        s = self.settings
        rules = len(self.variables.get('cluster_ports_rules', []) or [])
        groups = 2 if self.variables.get('cluster_ports_role', 'all') == 'all' else 1
        self.needs = cluster_needs(s, getattr(self, 'master_flavor', None), getattr(self, 'node_flavor', None),
                                   self.family, extra_rules=rules * groups, claims=self._claims())
        self.capacity = capacity(self.needs, self.survey['quotas'])
        for shortage in self.capacity['short']:
            step.add(FAIL, 'quota: %s' % shortage, 'ask the cloud\'s administrators for more, free some, or ask '
                     'for fewer or smaller nodes')
        for unknown in self.capacity['unknown']:
            step.add(UNKNOWN, 'quota of %s' % unknown)
        if not self.capacity['short'] and self.capacity['fit'] is not None:
            step.add(OK, 'quotas: %d more cluster(s) of this size fit' % self.capacity['fit'])

    # ---- the later steps -----------------------------------------------------------------------------------------
    def _claims(self):
        if self.settings['coe'] != 'kubernetes' or not _bool(self.variables.get('storage_class_enabled'), True):
            return []
        return [claim for claim in self.variables.get('storage_class_claims', []) or [] if isinstance(claim, dict)]

    def check_cluster_config(self, step):
        if _bool(self.variables.get('cluster_config_rotate_ca'), False) and self._feature('ca_rotation') is False:
            step.add(FAIL, 'cluster_config_rotate_ca needs Magnum API 1.5; this cloud serves at most %s'
                     % self.survey['magnum']['max_version'], 'set cluster_config_rotate_ca: false')

    def check_cluster_ports(self, step):
        rules = self.variables.get('cluster_ports_rules', []) or []
        if not rules:
            step.add(OK, 'no extra ports asked for: the step is skipped')
            return
        if self.family == HEAT and self._service('orchestration') is False:
            step.add(FAIL, 'the groups of a Heat-built cluster are found through its Heat stack, and there is no Heat')
        step.add(OK, '%d rule(s) into the %s group(s); the quota check above counts them'
                 % (len(rules), self.variables.get('cluster_ports_role', 'all')))

    def check_storage_class(self, step):
        s, v = self.settings, self.variables
        if s['coe'] != 'kubernetes' or not _bool(v.get('storage_class_enabled'), True):
            step.add(OK, 'the step is skipped (storage_class_enabled false or not Kubernetes)')
            return
        claims = v.get('storage_class_claims', []) or []
        if self._service('block-storage') is False:
            status = FAIL if claims else WARN
            step.add(status, 'the cloud has no Cinder (block-storage) in its catalog: claims of the StorageClass '
                     'cannot get volumes%s' % (' (%d claim(s) asked for would stay Pending)' % len(claims)
                                               if claims else ''),
                     'set storage_class_claims: [] (or storage_class_enabled: false) on this cloud' if claims else None)
        version = kube_version(s['labels'].get('kube_tag') or (self.image or {}).get('kube_version'))
        csi = s['labels'].get('cinder_csi_enabled')
        provisioner = v.get('storage_class_provisioner', 'auto')
        if version and version >= IN_TREE_CINDER_REMOVED and self.family == HEAT:
            if csi == 'false':
                step.add(FAIL, 'kube_tag %s and cinder_csi_enabled false: Kubernetes 1.26 and later has no in-tree '
                         'Cinder provisioner, so the default StorageClass cannot provision' % s['labels']['kube_tag'],
                         'set the label cinder_csi_enabled: true')
            elif csi is None:
                step.add(OK, 'kube_tag %s and no cinder_csi_enabled label: Magnum\'s Heat drivers install the Cinder '
                         'CSI driver by default since Magnum 12 (Wallaby); set the label to true to be sure'
                         % s['labels']['kube_tag'])
            if provisioner == 'kubernetes.io/cinder':
                step.add(FAIL, 'storage_class_provisioner kubernetes.io/cinder: Kubernetes 1.26 and later has no '
                         'in-tree Cinder provisioner', 'set storage_class_provisioner: auto')
        self._check_storage_parameters(step)

    def _check_storage_parameters(self, step):
        parameters = self.variables.get('storage_class_parameters', {}) or {}
        storage = self.survey['block_storage']
        if not storage.get('present'):
            return
        if not storage.get('known'):
            step.add(UNKNOWN, 'volume types and zones: %s' % storage['reason'])
            return
        wanted_type = parameters.get('type')
        if wanted_type and wanted_type not in storage['volume_types']:
            step.add(FAIL, 'StorageClass parameter type %s is not a volume type of this cloud' % wanted_type,
                     'set storage_class_parameters.type to one of: %s (default %s)'
                     % (', '.join(storage['volume_types']) or 'none', storage.get('default_type') or 'unknown'))
        zone = parameters.get('availability')
        if zone and storage['availability_zones'] and zone not in storage['availability_zones']:
            step.add(FAIL, 'StorageClass parameter availability %s is not a Cinder availability zone' % zone,
                     'set storage_class_parameters.availability to one of: %s'
                     % ', '.join(storage['availability_zones']))

    def check_cluster_check(self, step):
        step.add(OK, 'checks the API, the nodes, the default StorageClass, a throw-away claim, an example '
                 'Deployment and the extra ports once the cluster is built')
