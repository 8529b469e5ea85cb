# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets inside options that are not secret as a whole, kept out of every output of a module.

A `cloud` given as a dict, an inline kubeconfig or a proxy URL holds a password, a token or a private key next
to what a user needs to see (the cloud's name, the server). Marking those options no_log would hide all of it;
instead their secret parts join AnsibleModule.no_log_values, which ansible-core masks in the result, in
`invocation.module_args` (-vvv) and in the invocation it logs to syslog or journald. ansible-core 2.19 does not
mask the warnings and exception objects of a result, so the module class scrubs those itself (the collection
issues no deprecations).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import re
import traceback

from urllib.parse import unquote

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.parameters import remove_values

# Words of keys whose string values are secret wherever they appear in an option's structure (compared with
# dashes as underscores, so kubeconfig's client-key-data and auth-provider id-token count).
SECRET_WORDS = ('password', 'token', 'secret', 'private_key', 'key_pem', 'client_key_data', 'passcode', 'totp',
                'api_key')
# user:password@ in any URL (proxies, auth_url, a kubeconfig's server).
URL_CREDENTIALS = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:([^/@\s]+)@')
URL_PASSWORD = re.compile(r'([A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:)[^/@\s]+@')
PEM_BLOCK = re.compile(r'-----BEGIN [A-Z0-9 ]+-----(.*?)-----END [A-Z0-9 ]+-----', re.S)
# Kubeconfig options whose value may be the document itself rather than a path.
INLINE_DOCUMENT_OPTIONS = ('kubeconfig',)
MASK = '********'
# Frames of an unexpected error's traceback kept in the failure: enough to find the line, not a log's worth.
TRACEBACK_FRAMES = 4


def is_secret_key(key):
    name = str(key).lower().replace('-', '_')
    return any(word in name for word in SECRET_WORDS)


def pem_forms(pem):
    """A PEM text as it may be printed: whole, stripped, base64 (a kubeconfig's *-data), its body lines and the body
    joined (the PEM-stripped form)."""
    forms = {pem, pem.strip(), base64.b64encode(pem.encode('ascii', 'replace')).decode('ascii')}
    for body in PEM_BLOCK.findall(pem):
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        forms.add(''.join(lines))
        forms.update(line for line in lines if len(line) >= 16)
    return forms


def _decoded_pem(value):
    """The PEM text a base64 value holds (client-key-data), or None."""
    if len(value) < 40 or not re.match(r'^[A-Za-z0-9+/=\s]+$', value):
        return None
    try:
        text = base64.b64decode(value, validate=False).decode('ascii')
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return text if '-----BEGIN' in text else None


def forms_of(secret):
    """Every form in which one secret string could show up in output."""
    forms = {secret}
    if '-----BEGIN' in secret:
        forms.update(pem_forms(secret))
    pem = _decoded_pem(secret.strip())
    if pem:
        forms.update(pem_forms(pem))
    if '%' in secret:
        forms.add(unquote(secret))
    return forms


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def secrets_in(value):
    """Values under secret-bearing keys anywhere in a structure, and the passwords of URLs anywhere in it."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if is_secret_key(key):
                found.update(text for text in _strings(item) if text)
            else:
                found.update(secrets_in(item))
    elif isinstance(value, (list, tuple)):
        for item in value:
            found.update(secrets_in(item))
    elif isinstance(value, str):
        found.update(match for match in URL_CREDENTIALS.findall(value) if match)
    return found


def _inline_document_secrets(text):
    """The secrets of a kubeconfig given as YAML text; when it does not parse, each value of it is a suspect."""
    if not isinstance(text, str) or ('\n' not in text.strip() and not text.strip().startswith('{')):
        return set()
    try:
        import yaml
        document = yaml.safe_load(text)
    except Exception:  # not YAML (or no PyYAML): the module refuses it; its values must not be quoted meanwhile
        document = None
    if isinstance(document, (dict, list)):
        return secrets_in(document)
    found = {text, text.strip()}
    for line in text.splitlines():
        value = line.split(':', 1)[-1].strip().strip('"\'')
        if len(value) >= 8:
            found.add(value)
    # Long runs of base64 or token characters, wherever the broken structure put them.
    found.update(re.findall(r'[A-Za-z0-9+/=_.~-]{16,}', text))
    return found


def secret_values(params):
    """Every form of every secret part of a module's parameters."""
    secrets = secrets_in(params or {})
    for option in INLINE_DOCUMENT_OPTIONS:
        secrets.update(_inline_document_secrets((params or {}).get(option)))
    forms = set()
    for secret in secrets:
        forms.update(forms_of(secret))
    return set(form for form in forms if form and form.strip())


def mask_url_credentials(value):
    """value with the password of every URL in it masked (user:pass@ becomes user:********@): a template read from
    Magnum carries its proxy URLs, whose password is not among the parameters of the module that reads it."""
    if isinstance(value, str):
        return URL_PASSWORD.sub(lambda match: match.group(1) + MASK + '@', value)
    if isinstance(value, dict):
        return dict((key, mask_url_credentials(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(mask_url_credentials(item) for item in value)
    return value


def scrub(text, no_log_values):
    """text with every secret replaced (longest first, so that overlapping values vanish whole)."""
    text = str(text)
    for secret in sorted(no_log_values, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    return text


def short_traceback(exc, no_log_values, frames=TRACEBACK_FRAMES):
    """The last frames of an exception's traceback and its type and message, secrets scrubbed."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-frames)
    return scrub(''.join(lines), no_log_values)


class CoeAnsibleModule(AnsibleModule):
    """AnsibleModule that knows the secret parts of its parameters before anything is logged or returned.

    AnsibleModule.__init__ loads the parameters, fails on a validation error (its result carries the
    invocation) and logs the invocation to syslog or journald before the caller's code runs: the secret parts
    are added when the parameters are loaded, and again from the validated parameters (environment fallbacks
    included) before the invocation is logged.
    """

    def _load_params(self):
        super(CoeAnsibleModule, self)._load_params()
        self.no_log_values.update(secret_values(self.params))

    def _log_invocation(self):
        self.no_log_values.update(secret_values(self.params))
        super(CoeAnsibleModule, self)._log_invocation()

    def scrub(self, text):
        return scrub(text, self.no_log_values)

    def warn(self, warning, *args, **kwargs):
        super(CoeAnsibleModule, self).warn(self.scrub(warning), *args, **kwargs)

    def fail_json(self, msg, **kwargs):
        # An exception object would reach the result unscrubbed, and the exception being handled (which
        # ansible-core would format when tracebacks are on) can quote a file's content: only an exception given
        # explicitly is passed on, as scrubbed text; otherwise the call stack alone (exception=None).
        exception = kwargs.pop('exception', None)
        if isinstance(exception, BaseException):
            exception = short_traceback(exception, self.no_log_values)
        elif exception is not None:
            exception = self.scrub(exception)
        kwargs = mask_url_credentials(remove_values(kwargs, self.no_log_values))
        super(CoeAnsibleModule, self).fail_json(msg=mask_url_credentials(self.scrub(msg)), exception=exception,
                                                **kwargs)

    def exit_json(self, **kwargs):
        super(CoeAnsibleModule, self).exit_json(**mask_url_credentials(kwargs))
