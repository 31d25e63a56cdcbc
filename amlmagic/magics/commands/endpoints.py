"""`%aml online-endpoint|online-deployment ...`: deploy, route traffic, invoke."""

from __future__ import annotations

import json
from typing import Any

from ...display import EntityList, TextBlock
from ...errors import UsageError
from ...session import TrailEntry
from ..children import list_children

__all__ = [
    "online_endpoint_create", "online_endpoint_show", "online_endpoint_list", "online_endpoint_update",
    "online_endpoint_invoke", "online_endpoint_get_credentials", "online_endpoint_delete",
    "online_endpoint_test", "parse_traffic",
    "online_deployment_create", "online_deployment_show", "online_deployment_list",
    "online_deployment_get_logs", "online_deployment_delete",
]


def parse_traffic(text: str, flag: str) -> dict[str, int]:
    """`"blue=90 green=10"` (spaces or commas) -> {"blue": 90, "green": 10}."""
    traffic: dict[str, int] = {}
    for part in text.replace(",", " ").split():
        name, sep, value = part.partition("=")
        if not sep or not value.strip().isdigit():
            raise UsageError(f"{flag} takes deployment=percent pairs like \"blue=90 green=10\", not {part!r}")
        traffic[name] = int(value)
    return traffic


# -- endpoints ------------------------------------------------------------------------------------
def online_endpoint_create(ctx) -> Any:
    if ctx.has_yaml:
        endpoint = ctx.from_yaml("online-endpoint", name=ctx.flag("name"), auth_mode=ctx.flag("auth_mode"))
    elif ctx.flag("set"):  # the flags as a YAML document, so --set applies as with -f
        endpoint = ctx.from_fields("online-endpoint", name=ctx.flag("name"),
                                   auth_mode=ctx.flag("auth_mode") or "key")
    else:
        from azure.ai.ml.entities import ManagedOnlineEndpoint

        endpoint = ManagedOnlineEndpoint(name=ctx.flag("name"), auth_mode=ctx.flag("auth_mode") or "key")
    return ctx.record(ctx.client.online_endpoints.begin_create_or_update(endpoint).result())


def online_endpoint_show(ctx) -> Any:
    """The endpoint; its deployments are displayed beneath it."""
    endpoint = ctx.client.online_endpoints.get(ctx.flag("name"))
    deployments = list_children(ctx, f"the deployments of {endpoint.name}",
                                lambda: ctx.client.online_deployments.list(endpoint_name=endpoint.name),
                                f"%aml online-deployment list -e {endpoint.name}")
    if deployments is not None:
        ctx.show_beneath(TextBlock(f"deployments ({len(deployments)})"))
        ctx.show_beneath(deployments)
    return endpoint


def online_endpoint_list(ctx) -> EntityList:
    return EntityList(ctx.client.online_endpoints.list())


def online_endpoint_update(ctx) -> Any:
    operations = ctx.client.online_endpoints
    if not ctx.has_yaml:
        ctx.refuse_set("give -f endpoint.yml with it, or change traffic with --traffic/--mirror-traffic")
    endpoint = ctx.from_yaml("online-endpoint", name=ctx.flag("name")) if ctx.has_yaml else operations.get(ctx.flag("name"))
    if ctx.flag("traffic"):
        endpoint.traffic = parse_traffic(ctx.flag("traffic"), "--traffic")
    if ctx.flag("mirror_traffic"):
        endpoint.mirror_traffic = parse_traffic(ctx.flag("mirror_traffic"), "--mirror-traffic")
    if not (ctx.has_yaml or ctx.flag("traffic") or ctx.flag("mirror_traffic")):
        raise UsageError("%aml online-endpoint update needs --traffic, --mirror-traffic or -f endpoint.yml")
    return ctx.record(operations.begin_create_or_update(endpoint).result())


def online_endpoint_invoke(ctx) -> Any:
    request_file = ctx.cwd / ctx.flag("request_file")
    if not request_file.is_file():
        raise UsageError(f"request file {request_file} does not exist: check --request-file")
    answer = ctx.client.online_endpoints.invoke(
        endpoint_name=ctx.flag("name"), request_file=str(request_file), deployment_name=ctx.flag("deployment_name")
    )
    try:
        return json.loads(answer)
    except (TypeError, ValueError):
        return TextBlock(str(answer))


def online_endpoint_get_credentials(ctx) -> Any:
    return ctx.client.online_endpoints.get_keys(ctx.flag("name"))


def online_endpoint_delete(ctx) -> TextBlock:
    ctx.client.online_endpoints.begin_delete(name=ctx.flag("name")).result()
    ctx.record(None)
    return TextBlock(f"online endpoint {ctx.flag('name')} deleted")


def online_endpoint_test(ctx) -> Any:
    from ...widgets import EndpointTester

    if ctx.flag("name"):
        ctx.client.online_endpoints.get(ctx.flag("name"))  # NotFoundError before a widget opens on nothing
    return EndpointTester(ctx.client, endpoint_name=ctx.flag("name"))


# -- deployments ----------------------------------------------------------------------------------
def online_deployment_create(ctx) -> Any:
    deployment = ctx.from_yaml("online-deployment", name=ctx.flag("name"), endpoint_name=ctx.flag("endpoint_name"))
    created = ctx.client.online_deployments.begin_create_or_update(deployment).result()
    ctx.record(created)
    if ctx.flag("all_traffic"):  # like `az ml online-deployment create --all-traffic`
        endpoint = ctx.client.online_endpoints.get(created.endpoint_name)
        endpoint.traffic = {created.name: 100}
        updated = ctx.client.online_endpoints.begin_create_or_update(endpoint).result()
        ctx.session.record(TrailEntry.of(
            "online-endpoint", "update", updated, base_path=str(ctx.cwd),
            line=f"%aml online-endpoint update -n {endpoint.name} --traffic \"{created.name}=100\""))
    return created


def online_deployment_show(ctx) -> Any:
    return ctx.client.online_deployments.get(ctx.flag("name"), endpoint_name=ctx.flag("endpoint_name"))


def online_deployment_list(ctx) -> EntityList:
    return EntityList(ctx.client.online_deployments.list(endpoint_name=ctx.flag("endpoint_name")))


def online_deployment_get_logs(ctx) -> TextBlock:
    logs = ctx.client.online_deployments.get_logs(
        ctx.flag("name"), ctx.flag("endpoint_name"), ctx.flag("lines") or 100, container_type=ctx.flag("container")
    )
    return TextBlock(logs)


def online_deployment_delete(ctx) -> TextBlock:
    ctx.client.online_deployments.begin_delete(name=ctx.flag("name"), endpoint_name=ctx.flag("endpoint_name")).result()
    ctx.record(None)
    return TextBlock(f"deployment {ctx.flag('name')} of {ctx.flag('endpoint_name')} deleted")
