"""Check a built collection artifact: no test bed or tooling inside, everything a user needs present.

Usage: check-artifact.py ARTIFACT.tar.gz
"""

import sys
import tarfile

FORBIDDEN_TOP_LEVEL = {
    'tests', 'extensions', '.localcloud', '.venv', '.build', '.ci', '.git', 'hack', 'context', 'Makefile',
}
REQUIRED = {
    'MANIFEST.json', 'FILES.json', 'README.md', 'LICENSE', 'requirements.txt', 'bindep.txt',
    'meta/runtime.yml', 'meta/execution-environment.yml',
}


def main():
    artifact = sys.argv[1]
    with tarfile.open(artifact) as tar:
        names = [name[2:] if name.startswith('./') else name for name in tar.getnames()]
    problems = sorted({name for name in names if name.split('/')[0] in FORBIDDEN_TOP_LEVEL})
    problems += ['missing: %s' % name for name in sorted(REQUIRED - set(names))]
    if problems:
        sys.exit('%s:\n  %s' % (artifact, '\n  '.join(problems)))
    sys.stdout.write('%s: %d entries, no tests/ or local cloud, required files present\n' % (artifact, len(names)))


if __name__ == '__main__':
    main()
