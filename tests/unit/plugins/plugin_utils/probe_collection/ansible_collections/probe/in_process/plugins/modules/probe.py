# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module that does what a module may do to the process it runs in, for test_in_process.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: probe
short_description: Test module
description: Test module.
author: coe.magnum contributors
options:
  warn: {type: str, description: A warning to give.}
  deprecate: {type: str, description: A deprecation to give.}
  fail: {type: bool, default: false, description: Fail with fail_json.}
  crash: {type: bool, default: false, description: Raise an exception.}
  no_result: {type: bool, default: false, description: Return without a result.}
  exit_code: {type: int, description: Exit with this code and no result.}
  variable: {type: str, description: An environment variable to read.}
  set_variable: {type: str, description: An environment variable to set.}
  secret: {type: str, no_log: true, description: A secret to echo back.}
  noise: {type: bool, default: false, description: Write to stdout and stderr before the result.}
'''

import os
import sys

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        warn=dict(type='str'), deprecate=dict(type='str'), fail=dict(type='bool', default=False),
        crash=dict(type='bool', default=False), no_result=dict(type='bool', default=False), exit_code=dict(type='int'),
        variable=dict(type='str'), set_variable=dict(type='str'), secret=dict(type='str', no_log=True),
        noise=dict(type='bool', default=False)), supports_check_mode=True)
    params = module.params
    if params['noise']:
        sys.stderr.write('noise on stderr\n')
        print('noise on stdout')
    if params['warn']:
        module.warn(params['warn'])
    if params['deprecate']:
        module.deprecate(params['deprecate'], version='9.0.0', collection_name='coe.magnum')
    if params['crash']:
        raise RuntimeError('the probe crashed')
    if params['no_result']:
        return
    if params['exit_code'] is not None:
        sys.exit(params['exit_code'])
    if params['set_variable']:
        os.environ[params['set_variable']] = 'set by the probe'
    if params['fail']:
        module.fail_json(msg='the probe failed', secret=params['secret'])
    module.exit_json(changed=not module.check_mode, check_mode=module.check_mode,
                     variable=os.environ.get(params['variable'] or '', None), secret=params['secret'],
                     diff=dict(before='old\n', after='new\n') if module._diff else {})


if __name__ == '__main__':
    main()
