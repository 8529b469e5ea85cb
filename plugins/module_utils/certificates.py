# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client keys, certificate signing requests, and whether a signed certificate is still good to use."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import traceback

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

# The identity magnumclient asks for: Kubernetes maps CN to the user and O to its groups.
CLIENT_COMMON_NAME = 'admin'
CLIENT_ORGANIZATION = 'system:masters'

KEY_SIZES = {
    'rsa': (2048, 3072, 4096),
    'ec': (256, 384),
}
DEFAULT_KEY_SIZES = {'rsa': 2048, 'ec': 256}
SECONDS_PER_DAY = 86400


def require_cryptography():
    if not HAS_CRYPTOGRAPHY:
        raise CoeError('The cryptography Python library is required (pip install cryptography).',
                       exception=CRYPTOGRAPHY_IMPORT_ERROR)


def key_size_for(key_type, key_size):
    """The key size to use, or a CoeError naming `key_size` when the type does not offer it."""
    if key_size is None:
        return DEFAULT_KEY_SIZES[key_type]
    if key_size not in KEY_SIZES[key_type]:
        raise CoeError('key_size %s is not possible for key_type %s; choose one of %s.' % (
            key_size, key_type, ', '.join(str(size) for size in KEY_SIZES[key_type])), parameter='key_size')
    return key_size


def generate_private_key(key_type='rsa', key_size=None):
    require_cryptography()
    key_size = key_size_for(key_type, key_size)
    if key_type == 'rsa':
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    return ec.generate_private_key(ec.SECP256R1() if key_size == 256 else ec.SECP384R1())


def private_key_pem(key):
    """PEM text in the traditional format (PKCS#1 for RSA, SEC 1 for EC) that kubectl, docker and magnumclient use."""
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.TraditionalOpenSSL,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode('ascii')


def load_private_key(pem):
    """The key of a PEM text, or None when the text holds no usable unencrypted key."""
    require_cryptography()
    if not pem:
        return None
    try:
        return serialization.load_pem_private_key(_as_bytes(pem), password=None)
    except (ValueError, TypeError):
        return None


def certificate_signing_request(key, common_name=CLIENT_COMMON_NAME, organization=CLIENT_ORGANIZATION):
    """A PEM CSR for the key, subject CN=common_name, O=organization, signed with SHA-256."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    request = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes)).sign(key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM).decode('ascii')


def describe_key(key):
    """('rsa', 2048) or ('ec', 256) for a private or public key; (None, None) for other kinds."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return 'rsa', key.key_size
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return 'ec', key.curve.key_size
    return None, None


def load_certificates(pem):
    """Every certificate of a PEM text, in order; [] when there is none or the text is not PEM."""
    require_cryptography()
    if not pem:
        return []
    data = _as_bytes(pem)
    loader = getattr(x509, 'load_pem_x509_certificates', None)
    try:
        if loader is not None:
            return loader(data)
        marker = b'-----END CERTIFICATE-----'
        blocks = [block + marker for block in data.split(marker) if b'-----BEGIN' in block]
        return [x509.load_pem_x509_certificate(block) for block in blocks]
    except ValueError:
        return []


def issued_by(cert, ca_cert):
    """Whether ca_cert's key signed cert and cert names ca_cert as its issuer."""
    if cert.issuer != ca_cert.subject:
        return False
    verify = getattr(cert, 'verify_directly_issued_by', None)
    try:
        if verify is not None:
            verify(ca_cert)
            return True
        public_key = ca_cert.public_key()
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                              cert.signature_hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            public_key.verify(cert.signature, cert.tbs_certificate_bytes)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def not_valid_after(cert):
    value = getattr(cert, 'not_valid_after_utc', None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def not_valid_before(cert):
    value = getattr(cert, 'not_valid_before_utc', None)
    return value if value is not None else cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def summary(cert, now=None):
    """What a person wants to know about a client certificate, with no key material."""
    now = now or utc_now()
    expires = not_valid_after(cert)
    return {
        'subject': cert.subject.rfc4514_string(),
        'issuer': cert.issuer.rfc4514_string(),
        'serial_number': '%x' % cert.serial_number,
        'not_before': _iso(not_valid_before(cert)),
        'not_after': _iso(expires),
        'days_left': int((expires - now).total_seconds() // SECONDS_PER_DAY),
        'fingerprint_sha256': cert.fingerprint(hashes.SHA256()).hex(),
        'key_type': describe_key(cert.public_key())[0],
        'key_size': describe_key(cert.public_key())[1],
    }


def assess_client_credential(cert_pem, key_pem, ca_pem, renew_before_days, key_type=None, key_size=None, now=None):
    """Why a client certificate and key must be replaced, or None when they are good for longer than needed.

    Good means: both readable, the key belongs to the certificate, the certificate is valid now and for more than
    renew_before_days, it was signed by one of the CA certificates in ca_pem, and the key is of the requested
    type and size (when those are given).
    """
    now = now or utc_now()
    certs = load_certificates(cert_pem)
    if not certs:
        return 'there is no readable client certificate'
    cert = certs[0]
    key = load_private_key(key_pem)
    if key is None:
        return 'there is no readable private key'
    if _public_bytes(key.public_key()) != _public_bytes(cert.public_key()):
        return 'the private key does not belong to the client certificate'
    if not any(issued_by(cert, ca) for ca in load_certificates(ca_pem)):
        return "the client certificate was not signed by the cluster's current CA"
    if not_valid_before(cert) > now:
        return 'the client certificate is not valid yet (from %s)' % _iso(not_valid_before(cert))
    expires = not_valid_after(cert)
    if expires <= now:
        return 'the client certificate expired on %s' % _iso(expires)
    if expires - now <= datetime.timedelta(days=renew_before_days):
        return 'the client certificate expires on %s, within renew_before (%s days)' % (
            _iso(expires), renew_before_days)
    wanted_type = key_type
    wanted_size = key_size_for(key_type, key_size) if key_type else None
    if wanted_type and describe_key(key) != (wanted_type, wanted_size):
        return 'the key is %s %s, not the requested %s %s' % (describe_key(key) + (wanted_type, wanted_size))
    return None


def _public_bytes(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _iso(moment):
    return moment.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _as_bytes(text):
    return text.encode('ascii') if isinstance(text, str) else text
