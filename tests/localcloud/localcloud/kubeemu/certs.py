"""Certificates of an emulated cluster: server certificates signed by the cluster CA, and client authentication.

The Kubernetes API server requests a client certificate without requiring one and answers 401 itself when the
certificate is missing or does not chain to the cluster CA. Python's ssl module can only fail the handshake for
an unknown CA, so the server context gets a verify callback that accepts every certificate, and the chain check
happens here, per request.
"""

import ctypes
import datetime
import ipaddress
import logging
import ssl
import sys

import _ssl
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOG = logging.getLogger(__name__)

DEFAULT_SERVER_NAMES = (
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    "localhost",
    "127.0.0.1",
)


def _as_bytes(pem):
    return pem.encode() if isinstance(pem, str) else pem


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _subject_alternative_names(hosts):
    names = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def make_ca(common_name="kubernetes-ca", valid_days=3650):
    """Return (cert_pem, key_pem) of a new self-signed CA, as a cluster CA or a foreign one in tests."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + datetime.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return _pem(cert, key)


def _pem(cert, key):
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def _issue(ca_cert_pem, ca_key_pem, subject, usage, ca_key_password=None, valid_days=365, hosts=()):
    ca_cert = x509.load_pem_x509_certificate(_as_bytes(ca_cert_pem))
    ca_key = serialization.load_pem_private_key(
        _as_bytes(ca_key_pem), password=_as_bytes(ca_key_password) if ca_key_password else None
    )
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + datetime.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if hosts:
        builder = builder.add_extension(_subject_alternative_names(hosts), critical=False)
    return _pem(builder.sign(ca_key, hashes.SHA256()), key)


def make_server_certificate(ca_cert_pem, ca_key_pem, hosts=(), ca_key_password=None, valid_days=365):
    """Return (cert_pem, key_pem) of a kube-apiserver certificate signed by the cluster CA.

    ``hosts`` are added to the usual in-cluster names, 127.0.0.1 and localhost as subject alternative names.
    """
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
    return _issue(
        ca_cert_pem, ca_key_pem, subject, ExtendedKeyUsageOID.SERVER_AUTH, ca_key_password, valid_days,
        hosts=(*DEFAULT_SERVER_NAMES, *hosts),
    )


def make_client_certificate(ca_cert_pem, ca_key_pem, user, groups=(), ca_key_password=None, valid_days=365):
    """Return (cert_pem, key_pem) of a client certificate: CN is the user, each O a group."""
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, group) for group in groups]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, user))
    return _issue(
        ca_cert_pem, ca_key_pem, x509.Name(attributes), ExtendedKeyUsageOID.CLIENT_AUTH, ca_key_password, valid_days
    )


class ClientAuthenticator:
    """Maps a peer certificate (DER) to (user, groups) when the cluster CA issued it and it is valid now."""

    def __init__(self, ca_cert_pem):
        self.ca_certs = x509.load_pem_x509_certificates(_as_bytes(ca_cert_pem))

    def authenticate(self, peer_der):
        if not peer_der:
            return None
        try:
            cert = x509.load_der_x509_certificate(peer_der)
        except ValueError:
            return None
        now = _now()
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return None
        if not any(self._issued_by(cert, ca) for ca in self.ca_certs):
            return None
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not names:
            return None
        groups = [attribute.value for attribute in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
        return names[0].value, groups

    @staticmethod
    def _issued_by(cert, ca):
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True


_VERIFY_CALLBACK_TYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)


@_VERIFY_CALLBACK_TYPE
def _accept_any_certificate(preverify_ok, store_context):
    return 1


def _ssl_ctx_pointer(context):
    # CPython's SSLContext object starts with PyObject_HEAD, followed by its SSL_CTX pointer.
    return ctypes.c_void_p.from_address(id(context) + 2 * ctypes.sizeof(ctypes.c_void_p)).value


def _request_any_client_certificate(context):
    """Make OpenSSL request a client certificate and accept whatever comes; False when that is not possible."""
    if sys.implementation.name != "cpython":
        return False
    try:
        libssl = ctypes.CDLL(_ssl.__file__)
        get_mode = libssl.SSL_CTX_get_verify_mode
        get_options = libssl.SSL_CTX_get_options
        set_verify = libssl.SSL_CTX_set_verify
    except (OSError, AttributeError):
        return False
    get_mode.restype, get_mode.argtypes = ctypes.c_int, [ctypes.c_void_p]
    get_options.restype, get_options.argtypes = ctypes.c_uint64, [ctypes.c_void_p]
    set_verify.restype, set_verify.argtypes = None, [ctypes.c_void_p, ctypes.c_int, _VERIFY_CALLBACK_TYPE]
    pointer = _ssl_ctx_pointer(context)
    if not pointer or get_mode(pointer) != 1 or get_options(pointer) != context.options & 0xFFFFFFFFFFFFFFFF:
        return False
    set_verify(pointer, 1, _accept_any_certificate)  # SSL_VERIFY_PEER without FAIL_IF_NO_PEER_CERT
    return True


def server_context(cert_file, key_file, ca_file):
    """TLS context of the API server: its certificate, and client certificates requested but checked later."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.verify_mode = ssl.CERT_OPTIONAL
    if not _request_any_client_certificate(context):
        LOG.warning("cannot install a permissive verify callback: certificates of other CAs fail the handshake")
        context.load_verify_locations(ca_file)
    return context
