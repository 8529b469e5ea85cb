"""ObjectMeta validation with kube-apiserver's field paths and messages (k8s.io/apimachinery validation).

The wording is apimachinery's: util/validation (IsDNS1123Subdomain, IsDNS1123Label, IsQualifiedName,
IsValidLabelValue) and api/validation (ValidateObjectMetaAccessor, in its order: generateName, name,
namespace, labels, annotations).
"""

import re

from .objects import forbidden_field, invalid_field, required

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + r"(\." + DNS1123_LABEL_FMT + ")*"
QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"
DNS1123_LABEL_MAX, DNS1123_SUBDOMAIN_MAX, QUALIFIED_NAME_MAX, LABEL_VALUE_MAX = 63, 253, 63, 63
TOTAL_ANNOTATION_SIZE = 256 * 1024


def _regex_error(message, fmt, *examples):
    shown = ",  or ".join(f"'{example}'" for example in examples)
    return f"{message} (e.g. {shown}, regex used for validation is '{fmt}')"


def _max_length(length):
    return f"must be no more than {length} characters"


def _length_and_pattern(value, max_length, fmt, message, *examples):
    """The messages of a check for a maximum length and a pattern, in apimachinery's order."""
    errors = []
    if len(value) > max_length:
        errors.append(_max_length(max_length))
    if not re.fullmatch(fmt, value):
        errors.append(_regex_error(message, fmt, *examples))
    return errors


def dns1123_subdomain(value):
    """The messages of IsDNS1123Subdomain; [] when value is one."""
    return _length_and_pattern(value, DNS1123_SUBDOMAIN_MAX, DNS1123_SUBDOMAIN_FMT,
                               "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                               "'-' or '.', and must start and end with an alphanumeric character", "example.com")


def dns1123_label(value):
    """The messages of IsDNS1123Label; [] when value is one."""
    return _length_and_pattern(value, DNS1123_LABEL_MAX, DNS1123_LABEL_FMT,
                               "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                               "and must start and end with an alphanumeric character", "my-name", "123-abc")


def qualified_name(value):
    """The messages of IsQualifiedName (label and annotation keys: [prefix/]name)."""
    errors = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + message for message in dns1123_subdomain(prefix))
    else:
        return ["a qualified name " + _regex_error(
            "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character", QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > QUALIFIED_NAME_MAX:
        errors.append("name part " + _max_length(QUALIFIED_NAME_MAX))
    if not re.fullmatch(QUALIFIED_NAME_FMT, name):
        errors.append("name part " + _regex_error(
            "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character", QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"))
    return errors


def label_value(value):
    """The messages of IsValidLabelValue."""
    return _length_and_pattern(value, LABEL_VALUE_MAX, LABEL_VALUE_FMT,
                               "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                               "or '.', and must start and end with an alphanumeric character",
                               "MyValue", "my_value", "12345")


# Which name rule each kind's registry applies (ValidateNamespaceName, ValidateNodeName, ... are aliases of these).
NAME_RULES = {"Namespace": dns1123_label}


def validate_object_meta(kind, metadata, namespaced):
    """Causes (field, message, reason) for the ObjectMeta of a new or updated object."""
    causes = []
    name_rule = NAME_RULES.get(kind, dns1123_subdomain)
    generate_name = metadata.get("generateName")
    if generate_name:
        # The prefix is checked as a name with its trailing '-' allowed (NameIsDNSSubdomain(name, prefix=true)).
        stem = generate_name[:-1] if generate_name.endswith("-") else generate_name
        for message in name_rule(stem + "a" if generate_name.endswith("-") else stem):
            causes.append(invalid_field("metadata.generateName", generate_name, message))
    name = metadata.get("name")
    if not name:
        causes.append(required("metadata.name", "Required value: name or generateName is required"))
    else:
        for message in name_rule(name):
            causes.append(invalid_field("metadata.name", name, message))
    namespace = metadata.get("namespace")
    if namespaced:
        if not namespace:
            causes.append(required("metadata.namespace"))
        else:
            for message in dns1123_label(namespace):
                causes.append(invalid_field("metadata.namespace", namespace, message))
    elif namespace:
        causes.append(forbidden_field("metadata.namespace", "not allowed on this type"))
    for key, value in (metadata.get("labels") or {}).items():
        for message in qualified_name(key):
            causes.append(invalid_field("metadata.labels", key, message))
        for message in label_value(value if isinstance(value, str) else str(value)):
            causes.append(invalid_field("metadata.labels", value, message))
    annotations = metadata.get("annotations") or {}
    size = 0
    for key, value in annotations.items():
        for message in qualified_name(key.lower()):
            causes.append(invalid_field("metadata.annotations", key, message))
        size += len(key) + len(value or "")
    if size > TOTAL_ANNOTATION_SIZE:
        causes.append(("metadata.annotations", f"Too long: must have at most {TOTAL_ANNOTATION_SIZE} bytes",
                       "FieldValueTooLong"))
    return causes
