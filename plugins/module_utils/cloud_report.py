# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The survey and the verdicts as lines a person reads in the play output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MARKS = dict(ok='ok     ', warn='WARN   ', fail='FAIL   ', unknown='unknown')


def _section(lines, title, section, render):
    if section.get('known'):
        lines.extend('%s: %s' % (title, text) if text else title for text in render(section))
    else:
        lines.append('%s: %s' % (title, section['reason']))


def _magnum(section):
    features = section['features']
    allowed = ', '.join('%s (%s)' % (f['description'], f['needs']) for f in features.values() if f['available'])
    missing = ', '.join('%s (%s)' % (f['description'], f['needs']) for f in features.values() if not f['available'])
    yield 'API %s to %s' % (section['min_version'], section['max_version'])
    yield 'allows %s' % (allowed or 'none of the features that need a microversion')
    if missing:
        yield 'not available: %s' % missing


def _services(section):
    yield ', '.join('%s %s' % (name, 'yes' if value['present'] else 'no')
                    for name, value in sorted(section.items()) if isinstance(value, dict))


def _drivers(survey):
    drivers = set()
    if survey['images'].get('known'):
        for image in survey['images']['items']:
            drivers.update(image['drivers'])
    if survey['templates'].get('known'):
        drivers.update(t['driver'] for t in survey['templates']['items'] if t.get('driver'))
    return ', '.join(sorted(drivers)) or 'none the collection knows'


def _images(section):
    usable = [image for image in section['items'] if image['usable']]
    for image in usable:
        yield '%s (os_distro %s%s, %s)' % (image['name'], image['os_distro'],
                                           ', kube_version %s' % image['kube_version'] if image['kube_version'] else '',
                                           image['status'])
    if not usable:
        yield 'none has an os_distro a known driver provides'


def _flavors(section):
    fitting = [f for f in section['items'] if f['fits_node']]
    yield ', '.join('%s (%d vCPU, %d MiB, %d GB)' % (f['name'], f['vcpus'], f['ram'], f['disk']) for f in fitting) \
        or 'none is large enough for a Kubernetes node'


def _storage(section):
    if not section['present']:
        yield 'no Cinder in the catalog'
        return
    yield 'volume types %s (default %s); availability zones %s' % (
        ', '.join(section['volume_types']) or 'none', section['default_type'] or 'unknown',
        ', '.join(section['availability_zones']) or 'unknown')


def report_lines(survey, steps, capacity):
    lines = []
    _section(lines, 'Magnum', survey['magnum'], _magnum)
    lines.append('Drivers: %s' % _drivers(survey))
    _section(lines, 'Services', survey['services'], _services)
    _section(lines, 'Images for clusters', survey['images'], _images)
    _section(lines, 'Flavors that fit a node', survey['flavors'], _flavors)
    _section(lines, 'External networks', survey['external_networks'],
             lambda s: [', '.join(n['name'] for n in s['items']) or 'none'])
    _section(lines, 'Cinder', survey['block_storage'], _storage)
    if capacity is not None:
        for row in capacity['resources']:
            lines.append('Quota %s: %s used of %s, a cluster needs %d%s' % (
                row['label'], row['used'], 'unlimited' if row['limit'] < 0 else row['limit'], row['need'],
                '' if row['clusters'] is None else ' (room for %d)' % row['clusters']))
        lines.extend('Quota %s' % text for text in capacity['unknown'])
        lines.append('Clusters of this template and size that still fit: %s'
                     % ('no limit found' if capacity['fit'] is None else capacity['fit']))
    for step in steps:
        lines.append('%s %s' % (MARKS[step['status']], step['title']))
        for finding in step['findings']:
            lines.append('    %s %s%s' % (MARKS[finding['status']].strip(), finding['message'],
                                          ' -> %s' % finding['change'] if finding['change'] else ''))
    return lines
