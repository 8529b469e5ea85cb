# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Importing a few submodules of a client library without its package's __init__, which imports everything.

openstacksdk's `openstack/__init__.py` imports `openstack.connection`, and through it every service's proxy and
resource classes (about 470 modules, half the SDK's import time), even for a module that needs only the clouds.yaml
loader and a keystoneauth session (`openstack.config`). Every module task is a new Python process, so that time is
paid on every task. `submodules()` registers the package without running its __init__ and imports the submodules
asked for (which import their own dependencies as usual); `whole_package()` runs the skipped __init__ when a module
does need the rest, so the package ends up exactly as a plain `import` leaves it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import importlib.util
import sys

# Packages registered by submodules() whose __init__ has not run yet.
_INIT_SKIPPED = set()


def submodules(package, *names):
    """The submodules `package.<name>`, imported without running the package's __init__ if it is not loaded yet.
    Raises ImportError when the package is not installed."""
    if package not in sys.modules:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.submodule_search_locations is None:
            raise ImportError('No package named %r' % package, name=package)
        sys.modules[package] = importlib.util.module_from_spec(spec)
        _INIT_SKIPPED.add(package)
    return tuple(importlib.import_module('%s.%s' % (package, name)) for name in names)


def whole_package(package):
    """The package as a plain `import` gives it: its skipped __init__ runs now (once), after the submodules."""
    module = sys.modules.get(package)
    if package in _INIT_SKIPPED:
        _INIT_SKIPPED.discard(package)
        module.__spec__.loader.exec_module(module)
        return module
    return importlib.import_module(package)
