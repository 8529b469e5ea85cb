"""Write the generated part of docs/architecture.md: which file of plugins/ uses which, read from the code.

Usage: architecture.py DOC [--check]
The part between the two marker lines of DOC is replaced by a Mermaid diagram and a table of every
module_utils and plugin_utils file with its first docstring line, the files it imports and the files that import it.
With --check, exit 1 when DOC differs from what the code gives (so the map cannot drift from the code).
"""

import ast
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PLUGINS = ROOT / 'plugins'
# The kinds of plugins/ the map shows (the actions of plugins/action are all plugin_utils/in_process).
KINDS = ('modules', 'module_utils', 'plugin_utils')
PREFIX = 'ansible_collections.coe.magnum.plugins.'
BEGIN = '<!-- BEGIN GENERATED: hack/architecture.py -->'
END = '<!-- END GENERATED -->'
# Third-party libraries worth showing: the APIs and formats the collection speaks.
LIBRARIES = {
    'openstack': 'openstacksdk',
    'keystoneauth1': 'keystoneauth1',
    'kubernetes': 'kubernetes client',
    'cryptography': 'cryptography',
    'yaml': 'PyYAML',
}


def plugin_name(path):
    """'module_utils/magnum_api' for plugins/module_utils/magnum_api.py."""
    return path.relative_to(PLUGINS).with_suffix('').as_posix()


def imports_of(path):
    """(plugin files, libraries) imported by one file, inside functions too (lazy imports count)."""
    tree = ast.parse(path.read_text(encoding='utf-8'))
    plugins, libraries = set(), set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ['%s.%s' % (node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            if name.startswith(PREFIX):
                target = name[len(PREFIX):].replace('.', '/')
                if (PLUGINS / (target + '.py')).exists():
                    plugins.add(target)
            else:
                top = name.split('.')[0]
                if top in LIBRARIES:
                    libraries.add(LIBRARIES[top])
    return plugins, libraries


def summary_of(path):
    """A module's short_description, else the first line of the file's docstring."""
    text = path.read_text(encoding='utf-8')
    found = re.search(r'^short_description: *(.+)$', text, re.MULTILINE)
    if found:
        return found.group(1).strip().strip('\'"')
    docstring = (ast.get_docstring(ast.parse(text)) or '').strip()
    return ' '.join(docstring.split('\n\n')[0].split())


def graph():
    files = sorted(p for kind in KINDS for p in (PLUGINS / kind).rglob('*.py')
                   if p.name != '__init__.py')
    edges, libraries, summaries = {}, {}, {}
    for path in files:
        name = plugin_name(path)
        edges[name], libraries[name] = imports_of(path)
        summaries[name] = summary_of(path)
    return edges, libraries, summaries


def node_id(name):
    return name.replace('/', '__')


def label(name):
    """The name inside modules/ or module_utils/: 'cluster/watch' for a file of the cluster package."""
    return name.split('/', 1)[1]


def render(edges, libraries, summaries):
    lines = [BEGIN, '', '```mermaid', 'flowchart LR']
    for kind in KINDS:
        lines.append('  subgraph %s' % kind)
        for name in sorted(n for n in edges if n.startswith(kind + '/')):
            lines.append('    %s["%s"]' % (node_id(name), label(name)))
        lines.append('  end')
    used = sorted(set(lib for libs in libraries.values() for lib in libs))
    lines.append('  subgraph libraries')
    for lib in used:
        lines.append('    %s(["%s"])' % (lib.replace(' ', '_'), lib))
    lines.append('  end')
    for name in sorted(edges):
        for target in sorted(edges[name]):
            lines.append('  %s --> %s' % (node_id(name), node_id(target)))
        for lib in sorted(libraries[name]):
            lines.append('  %s -.-> %s' % (node_id(name), lib.replace(' ', '_')))
    lines += ['```', '', '| file | what it is | imports | imported by | libraries |', '| --- | --- | --- | --- | --- |']
    importers = dict((name, sorted(n for n in edges if name in edges[n])) for name in edges)
    for name in sorted(edges):
        lines.append('| `%s` | %s | %s | %s | %s |' % (
            name, summaries[name].replace('|', '\\|'),
            ', '.join(label(t) for t in sorted(edges[name])) or '-',
            ', '.join(label(t) for t in importers[name]) or '-',
            ', '.join(sorted(libraries[name])) or '-'))
    lines += ['', END]
    return '\n'.join(lines)


def main(argv):
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] != '--check'):
        sys.exit(__doc__)
    doc = pathlib.Path(argv[1])
    text = doc.read_text(encoding='utf-8')
    if BEGIN not in text or END not in text:
        sys.exit('%s has no %s ... %s markers' % (doc, BEGIN, END))
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    wanted = head + render(*graph()) + tail
    if len(argv) == 3:
        if wanted != text:
            sys.exit('%s does not match plugins/: run `make architecture-doc` and commit the result' % doc)
        print('%s matches plugins/' % doc)
        return
    doc.write_text(wanted, encoding='utf-8')


if __name__ == '__main__':
    main(sys.argv)
