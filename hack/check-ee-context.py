"""Check the execution environment build context that `ansible-builder create` wrote from execution-environment.yml.

    python hack/check-ee-context.py CONTEXT ARTIFACT

The image must install this collection from the artifact in the context, then the Python and system packages it
declares, on the base image the definition names. Each check prints what it found; any failure exits 1.
"""

import hashlib
import json
import sys
import tarfile
from pathlib import Path

import yaml


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main(context, artifact):
    context, artifact = Path(context), Path(artifact)
    build = context / '_build'
    containerfile = (context / 'Containerfile').read_text()
    definition = yaml.safe_load(Path('execution-environment.yml').read_text())
    problems = []

    def check(condition, what):
        print('%s %s' % ('ok  ' if condition else 'FAIL', what))
        if not condition:
            problems.append(what)

    copied = build / 'collections' / artifact.name
    check(copied.is_file() and digest(copied) == digest(artifact),
          'the context holds the collection artifact %s, byte for byte' % artifact.name)
    with tarfile.open(artifact) as tar:
        manifest = json.load(tar.extractfile('MANIFEST.json'))['collection_info']
    check((manifest['namespace'], manifest['name']) == ('coe', 'magnum'), 'the artifact is coe.magnum %s'
          % manifest['version'])

    galaxy = yaml.safe_load((build / 'requirements.yml').read_text())
    entries = [entry for entry in galaxy.get('collections', []) if isinstance(entry, dict)]
    check(any(entry.get('type') == 'file' and entry.get('name') == 'collections/%s' % artifact.name
              for entry in entries),
          'the galaxy requirements install the artifact from the context (type: file)')

    python = (build / 'requirements.txt').read_text()
    for library in ('openstacksdk', 'kubernetes', 'cryptography'):
        check(any(line.split('>')[0].split('=')[0].strip() == library for line in python.splitlines()),
              'the Python requirements name %s' % library)
    check('[compile platform:rpm]' in (build / 'bindep.txt').read_text(), 'the system requirements are bindep.txt')

    base = definition['images']['base_image']['name']
    steps = [
        ('ARG EE_BASE_IMAGE="%s"' % base, 'builds on %s' % base),
        ('FROM $EE_BASE_IMAGE AS base', 'starts from the base image'),
        ('COPY _build /build', 'copies the context (artifact and requirements) into the build stages'),
        ('ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml',
         'installs the collections of the galaxy requirements'),
        ('RUN /output/scripts/assemble', 'assembles the Python and system dependencies (introspected from the '
                                         'installed collection)'),
        ('COPY --from=galaxy /usr/share/ansible /usr/share/ansible',
         'puts the installed collection into the builder and final images'),
        ('COPY _build/requirements.txt requirements.txt', 'hands requirements.txt to the dependency assembly'),
    ]
    for text, what in steps:
        check(text in containerfile, 'Containerfile %s' % what)
    if problems:
        print('%d check(s) of the build context failed' % len(problems))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
