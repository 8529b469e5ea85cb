# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from ansible_collections.coe.magnum.plugins.module_utils import certificates
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.tests.unit.certificate_authority import CertificateAuthority


@pytest.fixture(scope='module')
def ca():
    return CertificateAuthority()


@pytest.mark.parametrize('key_type, key_size, expected, header', [
    ('rsa', None, ('rsa', 2048), 'BEGIN RSA PRIVATE KEY'),
    ('rsa', 4096, ('rsa', 4096), 'BEGIN RSA PRIVATE KEY'),
    ('ec', None, ('ec', 256), 'BEGIN EC PRIVATE KEY'),
    ('ec', 384, ('ec', 384), 'BEGIN EC PRIVATE KEY'),
])
def test_keys_of_each_kind_in_the_traditional_pem_format(key_type, key_size, expected, header):
    key = certificates.generate_private_key(key_type, key_size)
    assert certificates.describe_key(key) == expected
    pem = certificates.private_key_pem(key)
    assert header in pem
    assert certificates.describe_key(certificates.load_private_key(pem)) == expected


@pytest.mark.parametrize('key_type', ['rsa', 'ec'])
def test_csr_asks_for_the_cluster_admin_identity_with_the_key(key_type):
    key = certificates.generate_private_key(key_type)
    csr = x509.load_pem_x509_csr(certificates.certificate_signing_request(key).encode('ascii'))
    assert csr.is_signature_valid
    assert [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)] == ['admin']
    assert [a.value for a in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == ['system:masters']
    assert csr.public_key().public_numbers() == key.public_key().public_numbers()


@pytest.mark.parametrize('key_type, key_size', [('rsa', 1024), ('rsa', 256), ('ec', 2048), ('ec', 521)])
def test_impossible_key_sizes_are_refused_naming_the_option(key_type, key_size):
    with pytest.raises(CoeError) as error:
        certificates.key_size_for(key_type, key_size)
    assert error.value.details['parameter'] == 'key_size'
    assert str(key_size) in error.value.msg and key_type in error.value.msg


@pytest.mark.parametrize('key_type, key_size', [('rsa', 2048), ('rsa', 3072), ('rsa', 4096), ('ec', 256), ('ec', 384)])
def test_every_possible_key_size_is_accepted(key_type, key_size):
    assert certificates.key_size_for(key_type, key_size) == key_size


def test_a_certificate_magnum_signed_from_our_csr_is_kept(ca):
    key = certificates.generate_private_key('rsa')
    cert = ca.sign(certificates.certificate_signing_request(key))
    assert certificates.assess_client_credential(cert, certificates.private_key_pem(key), ca.pem, 30) is None


@pytest.mark.parametrize('days_left, renew_before, expected', [
    (1000, 30, None),
    (31, 30, None),
    (29, 30, 'within renew_before (30 days)'),
    (100, 200, 'within renew_before (200 days)'),
    (-2, 0, 'expired on'),
])
def test_renewal_follows_renew_before(ca, days_left, renew_before, expected):
    cert, key = ca.client_credential(days_left=days_left, valid_from_days=-400 if days_left < 0 else None)
    reason = certificates.assess_client_credential(cert, key, ca.pem, renew_before)
    if expected is None:
        assert reason is None
    else:
        assert expected in reason


def test_a_certificate_not_valid_yet_is_replaced(ca):
    cert, key = ca.client_credential(days_left=100, valid_from_days=2)
    assert 'not valid yet' in certificates.assess_client_credential(cert, key, ca.pem, 30)


def test_a_certificate_of_a_rotated_ca_with_the_same_name_is_replaced(ca):
    rotated = CertificateAuthority(name=ca.name)
    cert, key = ca.client_credential()
    assert "current CA" in certificates.assess_client_credential(cert, key, rotated.pem, 30)


def test_a_certificate_of_a_bundle_member_ca_is_kept(ca):
    other = CertificateAuthority(name='other')
    cert, key = ca.client_credential()
    assert certificates.assess_client_credential(cert, key, other.pem + ca.pem, 30) is None


def test_a_key_that_is_not_the_certificates_is_replaced(ca):
    cert, _key = ca.client_credential()
    _other_cert, other_key = ca.client_credential()
    assert 'does not belong' in certificates.assess_client_credential(cert, other_key, ca.pem, 30)


@pytest.mark.parametrize('cert, key, expected', [
    (None, None, 'no readable client certificate'),
    ('not a certificate', None, 'no readable client certificate'),
    ('GOOD', 'not a key', 'no readable private key'),
])
def test_missing_or_unreadable_material_is_replaced(ca, cert, key, expected):
    good_cert, _good_key = ca.client_credential()
    assert expected in certificates.assess_client_credential(good_cert if cert == 'GOOD' else cert, key, ca.pem, 30)


@pytest.mark.parametrize('existing, wanted, kept', [
    (('rsa', 2048), ('rsa', None), True),
    (('rsa', 2048), ('rsa', 4096), False),
    (('rsa', 2048), ('ec', None), False),
    (('ec', 256), ('ec', 256), True),
    (('ec', 256), (None, None), True),
])
def test_a_key_of_another_type_or_size_is_replaced(ca, existing, wanted, kept):
    cert, key = ca.client_credential(*existing)
    reason = certificates.assess_client_credential(cert, key, ca.pem, 30, *wanted)
    assert (reason is None) == kept
    if not kept:
        assert 'not the requested' in reason


def test_summary_names_the_certificate_without_key_material(ca):
    cert, key = ca.client_credential(days_left=100)
    details = certificates.summary(certificates.load_certificates(cert)[0])
    assert details['subject'] == 'CN=admin,O=system:masters'
    assert details['issuer'] == 'CN=%s' % ca.name
    assert details['days_left'] in (99, 100)
    assert (details['key_type'], details['key_size']) == ('rsa', 2048)
    assert details['not_after'].endswith('Z')
    assert key.split('\n')[1] not in repr(details)


class WithoutDirectVerification:
    """A certificate as older cryptography releases have it (no verify_directly_issued_by)."""

    def __init__(self, cert):
        self._cert = cert

    def __getattr__(self, name):
        if name == 'verify_directly_issued_by':
            raise AttributeError(name)
        return getattr(self._cert, name)


@pytest.mark.parametrize('key_type, key_size', [('rsa', 2048), ('ec', 256)])
def test_signature_check_without_direct_verification(key_type, key_size):
    authority = CertificateAuthority(key_type=key_type, key_size=key_size)
    rotated = CertificateAuthority(name=authority.name, key_type=key_type, key_size=key_size)
    cert = WithoutDirectVerification(certificates.load_certificates(authority.client_credential()[0])[0])
    assert certificates.issued_by(cert, authority.cert)
    assert not certificates.issued_by(cert, rotated.cert)


@pytest.fixture(scope='module')
def credential(ca):
    return ca.client_credential()


def test_an_impossible_key_size_is_refused_with_the_sizes_that_are_possible():
    with pytest.raises(CoeError) as error:
        certificates.key_size_for('ec', 521)
    assert error.value.msg == 'key_size 521 is not possible for key_type ec; choose one of 256, 384.'


def test_a_request_without_organization_names_the_common_name_only():
    key = certificates.generate_private_key('ec')
    csr = x509.load_pem_x509_csr(certificates.certificate_signing_request(key, 'viewer', None).encode('ascii'))
    assert csr.subject.rfc4514_string() == 'CN=viewer'


def test_keys_of_other_kinds_are_not_described_and_not_kept():
    from cryptography.hazmat.primitives.asymmetric import ed25519
    assert certificates.describe_key(ed25519.Ed25519PrivateKey.generate()) == (None, None)
    assert certificates.load_private_key('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n') is None


def test_the_validity_limits_are_exact(ca, credential):
    cert_pem, key_pem = credential
    cert = certificates.load_certificates(cert_pem)[0]
    start, end = certificates.not_valid_before(cert), certificates.not_valid_after(cert)

    def assess(now, renew_before=30):
        return certificates.assess_client_credential(cert_pem, key_pem, ca.pem, renew_before, now=now)
    # Valid from its first second; expired at its last; renewed once renew_before days or fewer are left.
    assert assess(start) is None
    assert assess(start - datetime.timedelta(seconds=1)) == (
        'the client certificate is not valid yet (from %s)' % start.strftime('%Y-%m-%dT%H:%M:%SZ'))
    assert assess(end) == 'the client certificate expired on %s' % end.strftime('%Y-%m-%dT%H:%M:%SZ')
    assert assess(end - datetime.timedelta(days=30)) == (
        'the client certificate expires on %s, within renew_before (30 days)' % end.strftime('%Y-%m-%dT%H:%M:%SZ'))
    assert assess(end - datetime.timedelta(days=30, seconds=1)) is None


def test_a_key_of_another_size_is_named_in_the_reason(ca, credential):
    cert_pem, key_pem = credential
    assert certificates.assess_client_credential(cert_pem, key_pem, ca.pem, 30, 'rsa', 4096) == (
        'the key is rsa 2048, not the requested rsa 4096')


def test_the_summary_counts_whole_days_left(credential):
    cert = certificates.load_certificates(credential[0])[0]
    end = certificates.not_valid_after(cert)
    assert certificates.summary(cert, now=end - datetime.timedelta(days=10))['days_left'] == 10
    assert certificates.summary(cert, now=end - datetime.timedelta(days=11, seconds=-5))['days_left'] == 10
    details = certificates.summary(cert, now=end - datetime.timedelta(days=10, hours=23))
    assert details['days_left'] == 10
    assert details['not_after'] == end.strftime('%Y-%m-%dT%H:%M:%SZ')
    assert details['not_before'] == certificates.not_valid_before(cert).strftime('%Y-%m-%dT%H:%M:%SZ')
    assert details['serial_number'] == format(cert.serial_number, 'x')
    assert details['fingerprint_sha256'] == cert.fingerprint(hashes.SHA256()).hex()


def test_bundles_are_read_the_same_without_the_newer_bundle_loader(ca, credential, monkeypatch):
    """cryptography before 39 has no load_pem_x509_certificates: the blocks are read one by one, in order."""
    other = CertificateAuthority(name='other')
    bundle = ca.pem + credential[0] + '\n' + other.pem
    expected = [cert.subject for cert in certificates.load_certificates(bundle)]
    monkeypatch.delattr(certificates.x509, 'load_pem_x509_certificates')
    assert [cert.subject for cert in certificates.load_certificates(bundle)] == expected
    assert len(expected) == 3
    assert certificates.load_certificates('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----') == []


class WithoutUtcDates:
    """A certificate as cryptography before 42 has it: naive UTC dates, no not_valid_*_utc."""

    def __init__(self, cert):
        self._cert = cert

    def __getattr__(self, name):
        if name.endswith('_utc'):
            raise AttributeError(name)
        if name in ('not_valid_before', 'not_valid_after'):
            return getattr(self._cert, name + '_utc').replace(tzinfo=None)
        return getattr(self._cert, name)


def test_dates_are_read_as_utc_without_the_newer_date_fields(credential):
    cert = certificates.load_certificates(credential[0])[0]
    old = WithoutUtcDates(cert)
    assert certificates.not_valid_after(old) == certificates.not_valid_after(cert)
    assert certificates.not_valid_before(old) == certificates.not_valid_before(cert)
    assert certificates.not_valid_after(old).tzinfo is not None


def test_the_client_certificate_is_the_first_of_a_file_that_also_holds_the_ca(ca, credential):
    cert_pem, key_pem = credential
    assert certificates.assess_client_credential(cert_pem + ca.pem, key_pem, ca.pem, 30) is None


def test_a_certificate_of_another_ca_is_replaced(ca):
    other = CertificateAuthority(name='other')
    cert_pem, key_pem = other.client_credential()
    assert certificates.assess_client_credential(cert_pem, key_pem, ca.pem, 30) == (
        "the client certificate was not signed by the cluster's current CA")


def test_the_summary_of_an_expired_certificate_counts_the_day_begun_as_past(credential):
    cert = certificates.load_certificates(credential[0])[0]
    end = certificates.not_valid_after(cert)
    assert certificates.summary(cert, now=end + datetime.timedelta(hours=12))['days_left'] == -1
