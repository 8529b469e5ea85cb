"""Write docs/modules/<module>.md from each module's own documentation (ansible-doc --json).

Usage: module-docs.py COLLECTIONS_PATH OUTPUT_DIR [--check]
With --check, exit 1 when a page differs from what the modules' documentation gives.
"""

import json
import os
import re
import subprocess
import sys

# Ansible's documentation markup, as Markdown: options, values, return values, environment variables, code and
# module names as code; links as links.
CODE_MARKUP = re.compile(r'\b(?:[IOVCE]|RV|M)\(([^()]*)\)')
LINK_MARKUP = re.compile(r'\bL\(([^(),]*),\s*([^()]*)\)')
URL_MARKUP = re.compile(r'\bU\(([^()]*)\)')
BOLD_MARKUP = re.compile(r'\bB\(([^()]*)\)')


def markdown(value):
    value = CODE_MARKUP.sub(r'`\1`', value)
    value = LINK_MARKUP.sub(r'[\1](\2)', value)
    value = URL_MARKUP.sub(r'<\1>', value)
    return BOLD_MARKUP.sub(r'**\1**', value)


def text(value):
    if isinstance(value, list):
        return ' '.join(markdown(str(item)) for item in value)
    return '' if value is None else markdown(str(value))


def option_rows(options, prefix=''):
    rows = []
    for name in sorted(options):
        option = options[name]
        kind = option.get('type', 'str')
        if option.get('elements'):
            kind += '/' + option['elements']
        details = []
        if option.get('required'):
            details.append('required')
        if 'default' in option and option['default'] is not None:
            details.append('default `%s`' % json.dumps(option['default']))
        if option.get('choices'):
            details.append('choices: ' + ', '.join('`%s`' % choice for choice in option['choices']))
        if option.get('aliases'):
            details.append('aliases: ' + ', '.join('`%s`' % alias for alias in option['aliases']))
        description = text(option.get('description')).replace('|', '\\|')
        detail_text = '(' + '; '.join(details) + ')' if details else ''
        rows.append('| `%s%s` | %s | %s %s |' % (prefix, name, kind, description, detail_text))
        rows.extend(option_rows(option.get('suboptions') or {}, prefix + name + '.'))
    return rows


def page(name, doc):
    info = doc['doc']
    lines = ['# coe.magnum.%s' % name, '', text(info.get('short_description')), '']
    lines += ['- %s' % text(item) for item in (info.get('description') or [])]
    lines += ['', '## Options', '', '| option | type | description |', '|---|---|---|']
    lines += option_rows(info.get('options') or {})
    if info.get('notes'):
        lines += ['', '## Notes', ''] + ['- %s' % text(note) for note in info['notes']]
    if info.get('seealso'):
        lines += ['', '## See also', '']
        lines += ['- [%s](%s.md): %s' % (item['module'], item['module'].split('.')[-1], text(item.get('description')))
                  for item in info['seealso'] if item.get('module', '').startswith('coe.magnum.')]
    lines += ['', '## Examples', '', '```yaml', (doc.get('examples') or '').strip(), '```', '', '## Return values', '',
              '| key | returned | description |', '|---|---|---|']
    for key, value in sorted((doc.get('return') or {}).items()):
        lines.append('| `%s` | %s | %s |' % (key, text(value.get('returned')), text(value.get('description'))))
    lines.append('')
    return '\n'.join(lines)


def main():
    collections_path, output = sys.argv[1], sys.argv[2]
    check = '--check' in sys.argv[3:]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path)
    listing = json.loads(subprocess.run(['ansible-doc', '--json', '-l', 'coe.magnum', '-t', 'module'], env=env,
                                        check=True, capture_output=True, text=True).stdout)
    names = sorted(full.split('.')[-1] for full in listing)
    docs = json.loads(subprocess.run(['ansible-doc', '--json', '-t', 'module'] + ['coe.magnum.' + n for n in names],
                                     env=env, check=True, capture_output=True, text=True).stdout)
    stale = []
    os.makedirs(output, exist_ok=True)
    index = ['# Module reference', '', 'Written from the modules\' own documentation by `make module-docs`.', '']
    for name in names:
        content = page(name, docs['coe.magnum.' + name])
        path = os.path.join(output, name + '.md')
        index.append('- [coe.magnum.%s](%s.md): %s' % (name, name, text(docs['coe.magnum.' + name]['doc'].get(
            'short_description'))))
        current = open(path).read() if os.path.exists(path) else None
        if current != content:
            stale.append(path)
            if not check:
                with open(path, 'w') as handle:
                    handle.write(content)
    index_path = os.path.join(output, 'README.md')
    index_text = '\n'.join(index) + '\n'
    if (open(index_path).read() if os.path.exists(index_path) else None) != index_text:
        stale.append(index_path)
        if not check:
            with open(index_path, 'w') as handle:
                handle.write(index_text)
    if check and stale:
        sys.exit('Out of date (run make module-docs): ' + ', '.join(stale))
    verb = 'stale' if check else 'written'
    sys.stdout.write('module-docs: %d modules, %d pages %s\n' % (len(names), len(stale), verb))


if __name__ == '__main__':
    main()
