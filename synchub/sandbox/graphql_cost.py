"""Query cost the way Shopify approximates it: objects 1, scalars 0, connections 2 + n x node."""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values

SINGLE_QUERY_MAX = 1000


def requested_cost(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
    variables: Any,
) -> int:
    """Cost of an operation from its selections and the page sizes it asks for."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    root = schema.query_type
    assert root is not None
    return _selection_cost(schema, root, operation.selection_set, fragments, variables)


def _fields(
    schema: GraphQLSchema, parent: GraphQLObjectType, selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
) -> list[tuple[GraphQLObjectType, FieldNode]]:
    out: list[tuple[GraphQLObjectType, FieldNode]] = []
    for sel in selection_set.selections if selection_set else ():
        if isinstance(sel, FieldNode):
            out.append((parent, sel))
        elif isinstance(sel, InlineFragmentNode):
            out.extend(_fields(schema, parent, sel.selection_set, fragments))
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments:
            out.extend(_fields(schema, parent, fragments[sel.name.value].selection_set,
                               fragments))
    return out


def _selection_cost(
    schema: GraphQLSchema, parent: GraphQLObjectType, selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode], variables: Any,
) -> int:
    total = 0
    for owner, node in _fields(schema, parent, selection_set, fragments):
        field_def = owner.fields.get(node.name.value)
        if field_def is None:
            continue
        named = get_named_type(field_def.type)
        if not isinstance(named, GraphQLObjectType) or named.name == "PageInfo":
            continue
        children = _selection_cost(schema, named, node.selection_set, fragments, variables)
        if named.name.endswith("Connection"):
            args = get_argument_values(field_def, node, variables)
            size = args.get("first") or args.get("last") or 0
            total += 2 + int(size) * children
        elif named.name.endswith("Edge"):
            total += children
        else:
            total += 1 + children
    return total


def actual_cost(data: Any) -> int:
    """Cost of what was returned: every object 1, every connection 2 plus its nodes."""
    if isinstance(data, list):
        return sum(actual_cost(v) for v in data)
    if not isinstance(data, dict):
        return 0
    if "edges" in data or "nodes" in data:
        nodes = ([e.get("node") for e in data["edges"] if isinstance(e, dict)]
                 if isinstance(data.get("edges"), list) else data.get("nodes") or [])
        return 2 + sum(actual_cost(n) for n in nodes)
    return 1 + sum(actual_cost(v) for k, v in data.items() if k != "pageInfo")
