# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of every module of the collection: on the controller's own machine and Python, the module runs in the
task's worker process instead of a new one.

A module task normally costs ansible-core a payload to build (the module and every module_util it imports, parsed and
zipped), a temporary directory, a new Python process that imports ansible's module_utils again, and the directory's
removal: about 0.3 s a task on a two-core machine, more than a Magnum request on a real cloud. When the task would run
the module with the very Python the controller runs (connection local, no become, no async, the same interpreter path,
no PYTHON* or LD_* variable in the task's environment), those steps produce nothing the worker does not already have,
so the module runs here, with the same arguments (ansible-core's own internal ones included), the task's environment,
and its output parsed by ansible-core's own parser. Anything else, or `coe_magnum_in_process: false`, runs the module
the usual way. The worker is a process of its own for this one task, so nothing the module changes outlives the task.

Only ansible-core versions this collection is tested with take the short way; on others, modules run as processes.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
import runpy
import sys
import traceback

from ansible import constants as C
from ansible.module_utils import basic
from ansible.module_utils.common import json as module_json
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ansible_core_version
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash
from ansible.vars.clean import remove_internal_keys

display = Display()

SWITCH = 'coe_magnum_in_process'
# The ansible-core versions whose module execution this reproduces (make test runs every one of them).
TESTED_CORES = ('2.18', '2.19')
# A module declares no serialization profile of its own: ansible-core uses this one.
PROFILE = 'legacy'


def core_is_tested(version=ansible_core_version):
    return '.'.join(version.split('.')[:2]) in TESTED_CORES


def encode_arguments(module_args):
    params = dict(ANSIBLE_MODULE_ARGS=module_args)
    if hasattr(module_json, 'get_module_encoder'):  # ansible-core 2.19: encoded for the module's serialization profile
        encoder = module_json.get_module_encoder(PROFILE, module_json.Direction.CONTROLLER_TO_MODULE)
        return json.dumps(params, cls=encoder).encode('utf-8')
    return json.dumps(params, cls=module_json.AnsibleJSONEncoder, vault_to_text=True).encode('utf-8')


@contextlib.contextmanager
def target_side(environment):
    """The task's environment while the module runs, and no warning or deprecation but the module's own in its
    result (module_utils keep them in process-wide lists that a module process starts with empty)."""
    saved_environment = dict(os.environ)
    os.environ.update(environment)
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_environment)


def run_module_here(module_fqcn, module_args, environment):
    """Runs the module as AnsiballZ would (as __main__, its arguments in basic._ANSIBLE_ARGS) and answers what
    ansible-core's connection would have: stdout, stderr and the exit code."""
    namespace, collection, name = module_fqcn.split('.')
    stdout, stderr = io.StringIO(), io.StringIO()
    rc = 0
    with target_side(environment), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        basic._ANSIBLE_ARGS = encode_arguments(module_args)
        basic._ANSIBLE_PROFILE = PROFILE
        try:
            runpy.run_module('ansible_collections.%s.%s.plugins.modules.%s' % (namespace, collection, name),
                             run_name='__main__', alter_sys=True)
            rc = 1
            stderr.write('the module returned without a result')
        except SystemExit as finished:
            rc = finished.code if isinstance(finished.code, int) else (0 if finished.code is None else 1)
        except Exception:  # a module's own fault: reported as ansible-core reports a module process that crashed
            rc = 1
            stderr.write(traceback.format_exc())
        finally:
            basic._ANSIBLE_ARGS = None
    return {'rc': rc, 'stdout': stdout.getvalue(), 'stderr': stderr.getvalue()}


class InProcessAction(ActionBase):
    """ansible-core's `normal` action, with the module run in this process when that changes nothing."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        environment = self.task_environment()
        reason = self.why_not_here(task_vars, environment)
        if reason:
            display.vvv('%s runs as a module process: %s' % (self._task.action, reason))
            wrap_async = self._task.async_val and not self._connection.has_native_async
            result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        display.vvv('%s runs in the task\'s worker process (%s)' % (self._task.action, sys.executable))
        return merge_hash(result, self.execute_here(task_vars, environment))

    def task_environment(self):
        """The task's `environment:`, templated, as ansible-core puts it in front of a module process."""
        environment = {}
        self._compute_environment_string(raw_environment_out=environment)
        return dict((str(key), str(value)) for key, value in environment.items())

    def why_not_here(self, task_vars, environment):
        """Why this task must run its module as a process of its own, or '' when it need not."""
        if not boolean(task_vars.get(SWITCH, True), strict=False):
            return '%s is false' % SWITCH
        if not core_is_tested():
            return 'ansible-core %s is not one this collection runs modules in process with' % ansible_core_version
        if self._task.async_val:
            return 'the task is async'
        if self._connection.transport not in ('local', 'ansible.builtin.local'):
            return 'the connection is %s, not local' % self._connection.transport
        if self._play_context.become:
            return 'the task becomes another user'
        if C.DEFAULT_KEEP_REMOTE_FILES:
            return 'ANSIBLE_KEEP_REMOTE_FILES asks for the module files'
        # A new process would start with these; a running one has its libraries loaded already.
        loader_variables = sorted(key for key in environment if key.startswith(('PYTHON', 'LD_')))
        if loader_variables:
            return "the task's environment sets %s" % ', '.join(loader_variables)
        interpreter = self.interpreter(task_vars)
        if interpreter != sys.executable:
            return 'its interpreter %s is not the controller\'s %s' % (interpreter, sys.executable)
        return ''

    def interpreter(self, task_vars):
        """The Python the module would run with, as far as it is known without discovery: from the variables of the
        host the task is delegated to, if it is, as ansible-core takes it."""
        host_vars = task_vars
        if getattr(self._task, 'delegate_to', None):
            host_vars = (task_vars.get('ansible_delegated_vars') or {}).get(self._task.delegate_to) or {}
        value = host_vars.get('ansible_python_interpreter')
        if value is None:
            value = C.config.get_config_value('INTERPRETER_PYTHON', variables=host_vars)
        value = self._templar.template(value) if isinstance(value, str) else value
        if value in ('auto', 'auto_legacy', 'auto_silent', 'auto_legacy_silent', '', None):
            value = (host_vars.get('ansible_facts') or {}).get('discovered_interpreter_python')
        return value

    def execute_here(self, task_vars, environment):
        module_args = dict(self._task.args)
        self._update_module_args(self._task.action, module_args, task_vars)
        answer = run_module_here(self.resolved_module_name(), module_args, environment)
        data = self.parse(answer)
        remove_internal_keys(data)
        return data

    def resolved_module_name(self):
        """The module's full name, also when the task names it by a short name or an alias from meta/runtime.yml."""
        context = self._shared_loader_obj.module_loader.find_plugin_with_context(
            self._task.action, collection_list=self._task.collections)
        return context.resolved_fqcn

    def parse(self, answer):
        if 'profile' in inspect.signature(self._parse_returned_data).parameters:
            return self._parse_returned_data(answer, PROFILE)
        return self._parse_returned_data(answer)
