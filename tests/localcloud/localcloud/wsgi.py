"""WSGI entry points for gunicorn: `localcloud.wsgi:app('keystone')`.

Every OpenStack WSGI module parses sys.argv with oslo.config; under gunicorn that argv holds gunicorn's
own flags, so the workers would die on "unrecognized arguments". The argv is replaced before the
service's application module is imported.
"""

import importlib
import os
import sys

APPLICATIONS = {
    "keystone": "keystone.wsgi.api",
    "glance": "glance.wsgi.api",
    "nova": "nova.wsgi.osapi_compute",
    "neutron": "neutron.wsgi.api",
    "heat": "heat.wsgi.api",
    "magnum": "magnum.wsgi.api",
    "cinder": "cinder.wsgi.api",
}


def _service_argv(service: str) -> list[str]:
    config_file = os.environ.get("LOCALCLOUD_CONFIG_FILE")
    argv = [f"{service}-api"]
    if config_file:
        argv += ["--config-file", config_file]
    log_file = os.environ.get("LOCALCLOUD_SERVICE_LOG")
    if log_file:
        argv += ["--log-file", log_file]
    return argv


def app(service: str):
    sys.argv = _service_argv(service)
    return importlib.import_module(APPLICATIONS[service]).application
