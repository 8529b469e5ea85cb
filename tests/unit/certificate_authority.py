# -*- coding: utf-8 -*-
"""A cluster CA as Magnum's x509keypair manager keeps one: it signs CSRs and issues certificates of any validity."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def new_key(key_type='rsa', key_size=2048):
    if key_type == 'rsa':
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    return ec.generate_private_key(ec.SECP256R1() if key_size == 256 else ec.SECP384R1())


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode('ascii')


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode('ascii')


class CertificateAuthority:
    """Self-signed, subject CN=<name> as Magnum names a cluster CA after the cluster; signs as Magnum does."""

    def __init__(self, name='k8s-cluster', key_type='ec', key_size=256, valid_days=1825):
        self.name = name
        self.key = new_key(key_type, key_size)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(_now() - datetime.timedelta(days=1))
            .not_valid_after(_now() + datetime.timedelta(days=valid_days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = cert_pem(self.cert)

    def issue(self, public_key, subject=None, valid_from_days=-1, valid_days=1825):
        """A certificate for public_key valid from now+valid_from_days for valid_days days."""
        subject = subject or x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'system:masters'),
                                        x509.NameAttribute(NameOID.COMMON_NAME, 'admin')])
        start = _now() + datetime.timedelta(days=valid_from_days)
        return cert_pem(
            x509.CertificateBuilder().subject_name(subject)
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.name)]))
            .public_key(public_key).serial_number(int(uuid.uuid4()))
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=valid_days))
            .sign(self.key, hashes.SHA256())
        )

    def sign(self, csr_pem, valid_days=1825):
        csr = x509.load_pem_x509_csr(csr_pem.encode('ascii'))
        return self.issue(csr.public_key(), subject=csr.subject, valid_days=valid_days).strip()

    def client_credential(self, key_type='rsa', key_size=2048, days_left=1000, valid_from_days=None):
        """(cert_pem, key_pem) of a client certificate with `days_left` days of validity left."""
        key = new_key(key_type, key_size)
        if valid_from_days is None:
            valid_from_days = -1
        return (self.issue(key.public_key(), valid_from_days=valid_from_days,
                           valid_days=days_left - valid_from_days), key_pem(key))
