"""What a GraphQL request may ask for, and what its errors may say.

* **Depth** (:data:`MAX_DEPTH`), **aliases** (:data:`MAX_ALIASES`) and **tokens**
  (:data:`MAX_TOKENS`) are strawberry's own limiters.
* **Cost** (:class:`CostLimit`): every field counts 1, times the ``first`` of each list it sits in
  (a variable counts as the largest ``first`` allowed, :data:`MAX_FIRST`, since validation runs before
  variables are known); a document costing more than :data:`MAX_COST` is refused before anything runs.
* **Errors** are masked (:func:`masked`): only :class:`PublicError`s, which the resolvers raise
  for what the caller can act on (sign in, a bad argument, a service busy for a moment), and the
  validation errors of the document itself reach the caller; anything else says "Unexpected error."
"""

from __future__ import annotations

from typing import Any

import grpc
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
)

from taquilla_runtime.grpc_errors import field_errors_from_trailers

# The deepest useful query is 5 deep (myOrders → nodes → event → sessions → availability → status);
# Session.event leads back to its event, so without a limit a query could nest without end.
MAX_DEPTH = 6
MAX_ALIASES = 15
MAX_TOKENS = 2_000
MAX_FIRST = 100
DEFAULT_FIRST = 20
MAX_COST = 5_000
# The connections: their children count `first` times.
PAGED_FIELDS = frozenset({"events", "myOrders", "myTickets"})


class PublicError(Exception):
    """An error whose message and ``extensions.code`` the caller may see (never masked)."""

    def __init__(self, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message)
        self.extensions = {"code": code, **extensions}


def masked(error: GraphQLError) -> bool:
    """MaskErrors' test: hide everything but public errors and the document's validation errors
    (those carry no original error)."""
    original = error.original_error
    return original is not None and not isinstance(original, PublicError)


def unauthenticated() -> PublicError:
    return PublicError(
        "Sign in first: send an access token as `Authorization: Bearer <token>`.", "UNAUTHENTICATED"
    )


def bad_input(message: str, errors: list[dict[str, str]] | None = None) -> PublicError:
    return PublicError(message, "BAD_USER_INPUT", **({"errors": errors} if errors else {}))


def public_rpc_error(error: grpc.aio.AioRpcError) -> Exception:
    """The caller's share of a service's refusal, like the REST answers' problem+json; the error
    itself (to be masked) for anything else."""
    code = error.code()
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return unauthenticated()
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return PublicError("You may not see this.", "FORBIDDEN")
    if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE):
        fields = field_errors_from_trailers(error.trailing_metadata())
        listed = [{"field": f["field"], "message": f["message"]} for f in fields or []]
        return bad_input(str(error.details() or "Invalid arguments."), listed)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return PublicError("A service is busy or unavailable for a moment; try again shortly.", "UNAVAILABLE")
    hidden: Exception = error  # masked: only "Unexpected error." reaches the caller
    return hidden


def bounded_first(first: int) -> int:
    if not 1 <= first <= MAX_FIRST:
        raise bad_input(
            f"`first` must be between 1 and {MAX_FIRST}.", [{"field": "first", "message": "1-100"}]
        )
    return first


class CostLimit(ValidationRule):
    """Refuses an operation whose estimated size (see the module) is over :data:`MAX_COST`."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        cost = self._cost(node.selection_set, 1, set())
        if cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"The query is too large: it may cost {cost} and the limit is {MAX_COST}; "
                    "ask for fewer items (`first`) or fields.",
                    node,
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": MAX_COST},
                )
            )

    def _cost(self, selections: SelectionSetNode | None, multiplier: int, spreading: set[str]) -> int:
        if selections is None:
            return 0
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += multiplier
                inner = (
                    multiplier * _first_of(selection) if selection.name.value in PAGED_FIELDS else multiplier
                )
                total += self._cost(selection.selection_set, inner, spreading)
            elif isinstance(selection, InlineFragmentNode):
                total += self._cost(selection.selection_set, multiplier, spreading)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is not None and name not in spreading:  # cycles are another rule's error
                    total += self._cost(fragment.selection_set, multiplier, spreading | {name})
        return total


def _first_of(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        if isinstance(argument.value, IntValueNode):
            return max(1, min(int(argument.value.value), MAX_FIRST))
        if isinstance(argument.value, VariableNode):
            return MAX_FIRST
    return DEFAULT_FIRST
