"""Query cost the way Shopify approximates it: objects 1, scalars 0, connections 2 + n x node.

A mutation costs 10 per root field plus what its payload selects; ``nodes(ids:)`` costs
each id's object.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values

SINGLE_QUERY_MAX = 1000
MUTATION_COST = 10
Composite = GraphQLObjectType | GraphQLInterfaceType


def requested_cost(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
    variables: Any,
) -> int:
    """Cost of an operation from its selections and the page sizes it asks for."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    if operation.operation.value == "mutation":
        root = schema.mutation_type
        assert root is not None
        total = 0
        for owner, node in _fields(schema, root, operation.selection_set, fragments):
            field_def = owner.fields.get(node.name.value)
            named = get_named_type(field_def.type) if field_def is not None else None
            # the payload object itself is part of the flat mutation cost
            children = (_selection_cost(schema, named, node.selection_set, fragments, variables)
                        if isinstance(named, Composite) else 0)
            total += MUTATION_COST + children
        return total
    root = schema.query_type
    assert root is not None
    return _selection_cost(schema, root, operation.selection_set, fragments, variables)


def _fields(
    schema: GraphQLSchema, parent: Composite, selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
) -> list[tuple[Composite, FieldNode]]:
    out: list[tuple[Composite, FieldNode]] = []
    for sel in selection_set.selections if selection_set else ():
        if isinstance(sel, FieldNode):
            out.append((parent, sel))
        elif isinstance(sel, InlineFragmentNode):
            # `... on InventoryLevel` reads its fields from that type, not from the interface
            cond = schema.get_type(sel.type_condition.name.value) if sel.type_condition else None
            owner = cond if isinstance(cond, Composite) else parent
            out.extend(_fields(schema, owner, sel.selection_set, fragments))
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments:
            frag = fragments[sel.name.value]
            cond = schema.get_type(frag.type_condition.name.value)
            owner = cond if isinstance(cond, Composite) else parent
            out.extend(_fields(schema, owner, frag.selection_set, fragments))
    return out


def _selection_cost(
    schema: GraphQLSchema, parent: Composite, selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode], variables: Any,
) -> int:
    total = 0
    for owner, node in _fields(schema, parent, selection_set, fragments):
        field_def = owner.fields.get(node.name.value)
        if field_def is None:
            continue
        named = get_named_type(field_def.type)
        if not isinstance(named, Composite) or named.name == "PageInfo":
            continue
        children = _selection_cost(schema, named, node.selection_set, fragments, variables)
        if named.name.endswith("Connection"):
            args = get_argument_values(field_def, node, variables)
            size = args.get("first") or args.get("last") or 0
            total += 2 + int(size) * children
        elif named.name.endswith("Edge"):
            total += children
        elif "ids" in field_def.args:
            ids = get_argument_values(field_def, node, variables).get("ids") or []
            total += len(ids) * (1 + children)
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


def mutation_actual_cost(data: Any) -> int:
    """Cost of a mutation's answer: 10 per root field plus the objects its payload returned."""
    if not isinstance(data, dict):
        return 0
    return sum(MUTATION_COST + (sum(actual_cost(v) for v in payload.values())
                                if isinstance(payload, dict) else 0)
               for payload in data.values())
