"""Shopify Admin GraphQL: catalog and inventory queries, inventorySetQuantities, cost limits."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from graphql.execution.values import get_directive_values, get_variable_values

from synchub.sandbox.kit.graphql_cost import (
    SINGLE_QUERY_MAX,
    actual_cost,
    mutation_actual_cost,
    requested_cost,
)
from synchub.sandbox.kit.http import Reply, json_value
from synchub.sandbox.kit.relay import connection
from synchub.sandbox.kit.routes import Call
from synchub.sandbox.shopify.fulfillment import fulfillment_resolvers
from synchub.sandbox.shopify.inventory import (
    MAX_INPUT_ARRAY,
    group_changes,
    input_too_large,
    set_quantities,
)
from synchub.sandbox.shopify.payments_graphql import payments_resolvers
from synchub.sandbox.shopify.search import matches, parse_search
from synchub.sandbox.shopify.store import ShopifyStore

DOCS = "https://shopify.dev/api/usage/rate-limits"
PRODUCT_SORT = {"ID": "_id", "UPDATED_AT": "_updated", "CREATED_AT": "_created",
                "TITLE": "title", "PRODUCT_TYPE": "productType", "VENDOR": "vendor",
                "INVENTORY_TOTAL": "totalInventory"}


def _search(query: str | None, fields_of: Any, items: list[Any]) -> list[Any]:
    terms = parse_search(query)
    try:
        return [i for i in items if matches(terms, fields_of(i))] if terms else items
    except ValueError:
        raise GraphQLError(f"Invalid search query: {query}") from None


def _store(info: Any) -> ShopifyStore:
    store: ShopifyStore = info.context
    return store


def _products(_root: Any, info: Any, **args: Any) -> dict[str, Any]:
    items = _search(args.get("query"), lambda p: {
        "updated_at": p["_updated"], "created_at": p["_created"], "status": p["status"],
        "title": p["title"], "vendor": p["vendor"], "product_type": p["productType"],
        "id": p["_id"]}, _store(info).products)
    field = PRODUCT_SORT[args.get("sortKey") or "ID"]
    return connection(items, lambda p: p[field] if field != "totalInventory" else
                       _total_inventory(p), args, reverse=bool(args.get("reverse")))


def _inventory_items(_root: Any, info: Any, **args: Any) -> dict[str, Any]:
    all_items = [v["inventoryItem"] for p in _store(info).products for v in p["_variants"]]
    items = _search(args.get("query"), lambda i: {
        "updated_at": i["_updated"], "created_at": i["_created"], "sku": i["sku"] or "",
        "id": i["_id"]}, all_items)
    return connection(items, lambda i: i["_id"], args, reverse=bool(args.get("reverse")))


def _by_gid(kind: str) -> Any:
    def resolve(_root: Any, info: Any, id: str) -> Any:
        for p in _store(info).products:
            if kind == "Product" and p["id"] == id:
                return p
            for v in p["_variants"]:
                if kind == "ProductVariant" and v["id"] == id:
                    return v
                if kind == "InventoryItem" and v["inventoryItem"]["id"] == id:
                    return v["inventoryItem"]
        return None
    return resolve


def _node_type(obj: dict[str, Any], _info: Any, _abstract: Any) -> str:
    # gid://shopify/<Type>/<number>[?...]
    return str(obj["id"].split("/")[3])


def _nodes(_root: Any, info: Any, ids: list[str]) -> list[Any]:
    if len(ids) > MAX_INPUT_ARRAY:
        raise input_too_large(len(ids))
    return [_store(info).by_gid.get(i) for i in ids]


def _set_quantities(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    directive = info.schema.get_directive("idempotent")
    args = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return set_quantities(_store(info), input, args["key"] if args else None)


def _oversized(value: Any) -> int:
    """The length of the longest list anywhere in ``value`` when it exceeds the input limit."""
    if isinstance(value, list):
        own = len(value) if len(value) > MAX_INPUT_ARRAY else 0
        return max([own, *(_oversized(v) for v in value)])
    if isinstance(value, dict):
        return max([0, *(_oversized(v) for v in value.values())])
    return 0


def _total_inventory(product: dict[str, Any]) -> int:
    return sum(v.get("inventoryQuantity") or 0 for v in product["_variants"])


@cache
def shopify_schema() -> GraphQLSchema:
    """The SDL subset with resolvers attached (built once per process)."""
    sdl = resources.files("synchub.sandbox.shopify").joinpath("schema.graphql").read_text()
    schema = build_schema(sdl)
    tm: Any = schema.type_map

    def attach(type_name: str, field: str, fn: Any) -> None:
        tm[type_name].fields[field].resolve = fn

    attach("Query", "shop", lambda _r, info: {
        "id": f"gid://shopify/Shop/{1000 + len(info.context.name)}",
        "name": f"{info.context.name.title()} Shop", "currencyCode": info.context.currency,
        "ianaTimezone": str(info.context.tz),
        "myshopifyDomain": f"{info.context.name}.myshopify.com",
        "enabledPresentmentCurrencies": [info.context.currency, "USD", "GBP", "CHF"]})
    attach("Query", "products", _products)
    attach("Query", "product", _by_gid("Product"))
    attach("Query", "productVariant", _by_gid("ProductVariant"))
    attach("Query", "inventoryItems", _inventory_items)
    attach("Query", "inventoryItem", _by_gid("InventoryItem"))
    attach("Query", "locations", lambda _r, info, **a: connection(
        info.context.locations, lambda loc: loc["_id"], a))
    attach("Product", "totalInventory", lambda p, _i: _total_inventory(p))
    attach("Product", "variants", lambda p, _i, **a: connection(
        p["_variants"], lambda v: v["position"], a, reverse=bool(a.get("reverse"))))
    attach("ProductVariant", "product", lambda v, _i: v["_product"])
    attach("InventoryItem", "variant", lambda i, _i: i["_variant"])
    attach("InventoryItem", "inventoryLevels", lambda i, _i, **a: connection(
        i["_levels"], lambda lv: lv["location"]["_id"], a))
    attach("InventoryItem", "inventoryLevel", lambda i, _i, locationId: next(
        (lv for lv in i["_levels"] if lv["location"]["id"] == locationId), None))
    attach("Query", "node", lambda _r, info, id: info.context.by_gid.get(id))
    attach("Query", "nodes", _nodes)
    tm["Node"].resolve_type = _node_type
    attach("Mutation", "inventorySetQuantities", _set_quantities)
    attach("InventoryAdjustmentGroup", "changes", lambda g, _i, **a: group_changes(g, **a))
    attach("InventoryLevel", "item", lambda lv, _i: lv["_item"])
    for (type_name, field), fn in fulfillment_resolvers().items():
        attach(type_name, field, fn)
    for (type_name, field), fn in payments_resolvers().items():
        attach(type_name, field, fn)
    attach("InventoryLevel", "quantities", lambda lv, _i, names: [
        {"name": n, "quantity": lv["_q"][n], "updatedAt": lv["updatedAt"]}
        for n in names if n in lv["_q"]])
    return schema


def _cost(store: ShopifyStore, requested: int, actual: int | None) -> dict[str, Any]:
    available = store.cost_bucket.available if store.rate_limits else 2000.0
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                     "throttleStatus": {"maximumAvailable": 2000.0,
                                        "currentlyAvailable": available,
                                        "restoreRate": 100.0}}}


def graphql_reply(store: ShopifyStore, call: Call) -> Reply:
    """``POST graphql.json``: execute one GraphQL request against the store (errors are HTTP
    200, as Shopify does)."""
    payload = json_value(call.body)
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return Reply(400, {"errors": {"query": "Required parameter missing or invalid"}})
    variables = payload.get("variables") or {}
    schema = shopify_schema()
    try:
        document = parse(payload["query"])
    except GraphQLError as exc:
        return Reply(200, {"errors": [exc.formatted]})
    problems = validate(schema, document)
    if problems:
        return Reply(200, {"errors": [p.formatted for p in problems]})
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    name = payload.get("operationName")
    op = next((o for o in operations if name is None or (o.name and o.name.value == name)), None)
    if op is None or op.operation.value not in ("query", "mutation"):
        return Reply(200, {"errors": [{"message": "Only queries and mutations are supported"}]})
    coerced = get_variable_values(schema, op.variable_definitions or (), variables)
    if isinstance(coerced, list):
        return Reply(200, {"errors": [e.formatted for e in coerced]})
    too_long = _oversized(variables)
    if too_long:
        return Reply(200, {"errors": [input_too_large(too_long).formatted]})
    requested = requested_cost(schema, document, op, coerced)
    if requested > SINGLE_QUERY_MAX:
        return Reply(200, {"errors": [{
            "message": f"Query cost is {requested}, which exceeds the single query max cost "
                       f"limit ({SINGLE_QUERY_MAX}). Ask for smaller pages.",
            "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested,
                           "maxCost": SINGLE_QUERY_MAX, "documentation": DOCS}}],
            "extensions": _cost(store, requested, None)})
    if store.rate_limits and not store.cost_bucket.try_spend(requested):
        return Reply(200, {"errors": [{"message": "Throttled", "extensions": {
            "code": "THROTTLED", "documentation": DOCS}}],
            "extensions": _cost(store, requested, None)})
    result = execute_sync(schema, document, context_value=store, variable_values=variables,
                     operation_name=name)
    if op.operation.value == "mutation":
        actual = min(requested, mutation_actual_cost(result.data))
    else:
        actual = min(requested, max(0, actual_cost(result.data) - 1)) if result.data else 0
    if store.rate_limits:
        store.cost_bucket.refund(requested - actual)
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    body["data"] = result.data
    body["extensions"] = _cost(store, requested, actual)
    return Reply(200, body)
