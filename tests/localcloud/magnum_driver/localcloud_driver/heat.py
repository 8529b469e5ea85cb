"""The few Heat calls the driver makes, over a keystoneauth session (Magnum 23 has no Heat client of its own)."""

from keystoneauth1 import exceptions as ks_exceptions
from oslo_config import cfg

CONF = cfg.CONF

heat_client_opts = [
    cfg.StrOpt("region_name", help="Region of the orchestration endpoint."),
    cfg.StrOpt("endpoint_type", default="publicURL", help="Interface of the orchestration endpoint."),
]


def register_opts(conf=CONF):
    # magnum.conf may carry a [heat_client] section from Magnum's Heat era; Magnum 23 no longer registers it.
    try:
        conf.register_opts(heat_client_opts, group="heat_client")
    except cfg.DuplicateOptError:
        pass


class StackNotFound(Exception):
    pass


class HeatClient:
    """Stacks of one project, with the project's or an admin's session (admins reach every project's stacks)."""

    def __init__(self, session, project_id):
        register_opts()
        interface = CONF.heat_client.endpoint_type
        endpoint = session.get_endpoint(
            service_type="orchestration",
            interface=interface[:-3] if interface.endswith("URL") else interface,
            region_name=CONF.heat_client.region_name,
        )
        # The catalog URL ends with the token's project; address the stack owner's project instead.
        self.base = "%s/%s" % (endpoint.rstrip("/").rsplit("/", 1)[0], project_id)
        self.session = session

    def _request(self, method, path, **kwargs):
        kwargs.setdefault("raise_exc", True)
        try:
            return self.session.request(self.base + path, method, **kwargs)
        except ks_exceptions.NotFound as error:
            raise StackNotFound(str(error)) from error

    def create(self, name, template, files, parameters, timeout_mins):
        body = {
            "stack_name": name,
            "template": template,
            "files": files,
            "parameters": parameters,
            "timeout_mins": timeout_mins,
            "disable_rollback": True,
        }
        return self._request("POST", "/stacks", json=body).json()["stack"]["id"]

    def get(self, stack_id, resolve_outputs=True):
        """The stack (with resolved outputs if asked), or None once Heat no longer knows it."""
        query = "" if resolve_outputs else "?resolve_outputs=False"
        try:
            stack = self._request("GET", "/stacks/%s%s" % (stack_id, query)).json()["stack"]
        except StackNotFound:
            return None
        return stack

    def update(self, stack_id, parameters, template=None, files=None):
        """PATCH update: parameters not given keep their values, as Magnum's `existing=True` updates do."""
        stack = self.get(stack_id, resolve_outputs=False)
        if stack is None:
            raise StackNotFound("Stack %s not found" % stack_id)
        body = {"parameters": parameters, "disable_rollback": True}
        if template is not None:
            body["template"] = template
            body["files"] = files or {}
        self._request("PATCH", "/stacks/%s/%s" % (stack["stack_name"], stack_id), json=body)

    def delete(self, stack_id):
        stack = self.get(stack_id, resolve_outputs=False)
        if stack is None or stack["stack_status"] == "DELETE_COMPLETE":
            return
        self._request("DELETE", "/stacks/%s/%s" % (stack["stack_name"], stack_id))


def outputs(stack):
    return {output["output_key"]: output.get("output_value") for output in stack.get("outputs") or ()}
