"""A Kubernetes API server emulator for the local cloud: one process per Magnum cluster."""

from .certs import make_ca, make_client_certificate, make_server_certificate
from .process import emulator_pid, start_emulator, stop_emulator

__all__ = [
    "emulator_pid",
    "make_ca",
    "make_client_certificate",
    "make_server_certificate",
    "start_emulator",
    "stop_emulator",
]
