"""Keystone sessions for the driver's Heat and Neutron calls.

Magnum 23 keeps no trusts: the driver acts with the requesting user's token re-scoped to the cluster's project
(Heat then makes its own trust from it), and polls with Magnum's service credentials, which are admin.
"""

import functools

import magnum.conf
from keystoneauth1 import loading as ka_loading
from keystoneauth1.identity import v3 as ka_v3
from magnum.common import context as magnum_context
from magnum.common import keystone
from magnum.conf import keystone as ksconf
from openstack import connection as sdk_connection

from localcloud_driver import heat

CONF = magnum.conf.CONF


def admin_context():
    return magnum_context.make_admin_context(all_tenants=True)


@functools.lru_cache(maxsize=1)
def admin_session():
    # One session for the process: its token is reused until it expires, so polling costs no Keystone calls.
    return keystone.KeystoneClientV3(admin_context()).session


def _service_auth():
    # The auth_url of [keystone_auth]: Magnum's own lookup falls back to [keystone_authtoken], which only
    # magnum-api registers.
    return ka_loading.load_auth_from_conf_options(CONF, ksconf.CFG_GROUP)


def session_for(context, project_id):
    """The user's token re-scoped to the project, or Magnum's admin session for another project's cluster."""
    if not context.auth_token or context.project_id != project_id:
        return admin_session()
    auth = ka_v3.Token(
        auth_url=_service_auth().auth_url,
        token=context.auth_token,
        project_id=project_id,
    )
    return ka_loading.load_session_from_conf_options(CONF, ksconf.CFG_GROUP, auth=auth)


def heat_for(context, project_id):
    return heat.HeatClient(session_for(context, project_id), project_id)


def admin_heat(project_id):
    return heat.HeatClient(admin_session(), project_id)


def network_for(context, project_id):
    interface = CONF.neutron_client.endpoint_type
    return sdk_connection.Connection(
        session=session_for(context, project_id),
        region_name=CONF.neutron_client.region_name,
        network_interface=interface[:-3] if interface.endswith("URL") else interface,
    ).network
