"""Make the local cloud's proxy answer 404 for one Heat stack (`on STACK_ID`), or stop (`off STACK_ID`).

Other users of the cloud may have fault rules of their own in the same file: they are kept.
"""

import json
import os
import sys

from localcloud import faults


def main():
    action, stack_id = sys.argv[1], sys.argv[2]
    path = faults.default_faults_path()
    document = {}
    if os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            document = json.load(handle)
    rules = [rule for rule in document.get('rules', []) if rule.get('path') != stack_id]
    if action == 'on':
        rules.append({'service': 'heat', 'method': 'GET', 'path': stack_id, 'action': 'status', 'status': 404})
    faults.set_faults(rules, magnum_max_version=document.get('magnum_max_version'))


if __name__ == '__main__':
    main()
