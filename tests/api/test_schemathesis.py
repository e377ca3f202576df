"""Property-based: no request built from our own OpenAPI document makes the server answer 5xx.

Schemathesis reads ``/openapi.json`` from a live server over a book with real data (events,
entries, a statement, a reconciliation with open discrepancies) and, with an admin key, sends
every GET and POST operation generated inputs: valid ones (which must be handled) and invalid
ones (which must be refused with 4xx, never a 500 or a crash). Bounded per operation so the
run stays near a minute on two cores.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings

from ledgerbridge.apikeys import Scope
from tests.api.support import Api, api

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy
    from schemathesis import Case

try:
    import schemathesis
    from schemathesis.checks import not_a_server_error
except ImportError:  # pragma: no cover - only before `pip install -e '.[test]'`
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("schemathesis is not installed (it is in the test extra)", allow_module_level=True)

__all__ = ["api"]

EXAMPLES_PER_OPERATION = 25


def exercise(strategy: SearchStrategy[Case], base_url: str, headers: dict[str, str]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=[not_a_server_error])

    run()


@pytest.mark.slow
def test_no_generated_request_is_a_server_error(api: Api) -> None:
    api.reconciled()
    api.dead_event()
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
    headers = api.headers(Scope.ADMIN)
    exercised = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() not in ("GET", "POST"):
            continue
        exercise(operation.as_strategy(schemathesis.GenerationMode.POSITIVE), api.url, headers)
        # Health, metrics and the webhook (any string may name a connection) declare nothing
        # that could be violated, so there is no invalid request to build for them.
        if operation.path.startswith("/api/v1/"):
            exercise(operation.as_strategy(schemathesis.GenerationMode.NEGATIVE), api.url, headers)
        exercised.append(f"{operation.method.upper()} {operation.path}")
    assert "POST /api/v1/discrepancies/{discrepancy_id}/resolve" in exercised
    assert len(exercised) >= 15
