"""``Idempotency-Key`` on API writes: a retry answers the first response and acts once; a key
reused for another request is refused; racing retries act once; a reservation whose request
died is taken over."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import httpx
import pytest
from starlette.requests import Request

from ledgerbridge.api import idempotency
from ledgerbridge.api.idempotency import Answer, claim, complete, fingerprint, release
from ledgerbridge.apikeys import Principal, Scope
from ledgerbridge.clock import utcnow
from ledgerbridge.store.database import Database
from tests.api.support import STATEMENT, Api, api

__all__ = ["api"]

KEY = "6f1c1b9e-5d0e-4c53-a9a4-3c8f0e3f2d11"


def hit(response: httpx.Response) -> bool:
    return response.headers.get("Idempotency-Hit") == "true"


class TestRetries:
    def test_the_same_key_twice_acts_once_and_answers_the_same(self, api: Api) -> None:
        dead = api.dead_event()
        first = api.post(f"/api/v1/events/{dead}/replay", idempotency_key=KEY)
        second = api.post(f"/api/v1/events/{dead}/replay", idempotency_key=KEY)
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json() == {"replayed": [dead]}
        assert not hit(first) and hit(second)
        assert len(api.audit_actions("events.replayed")) == 1

    def test_without_a_key_every_request_acts(self, api: Api) -> None:
        dead = api.dead_event()
        api.post(f"/api/v1/events/{dead}/replay")
        again = api.post(f"/api/v1/events/{dead}/replay")
        assert again.status_code == 200 and not hit(again)
        assert len(api.audit_actions("events.replayed")) == 2

    def test_keys_belong_to_one_api_key(self, api: Api) -> None:
        dead = api.dead_event()
        for scope in (Scope.WRITE, Scope.ADMIN):
            response = api.post(f"/api/v1/events/{dead}/replay", scope, idempotency_key=KEY)
            assert response.status_code == 200 and not hit(response)
        assert len(api.audit_actions("events.replayed")) == 2

    def test_a_created_connection_answers_201_again(self, api: Api) -> None:
        body = {"platform": "stripe", "name": "stripe-eu", "secret": "whsec_x"}
        first = api.post("/api/v1/connections", Scope.ADMIN, idempotency_key=KEY, json=body)
        # The same document written another way is the same request.
        reordered = json.dumps(dict(reversed(body.items())), indent=2)
        second = api.post(
            "/api/v1/connections",
            Scope.ADMIN,
            idempotency_key=KEY,
            content=reordered,
            headers={"Content-Type": "application/json"},
        )
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json() and hit(second)
        added = [a for a in api.audit_actions("connection.added") if a["name"] == "stripe-eu"]
        assert len(added) == 1

    def test_a_statement_file_is_imported_once(self, api: Api) -> None:
        first = api.post("/api/v1/statements", idempotency_key=KEY, content=STATEMENT)
        second = api.post("/api/v1/statements", idempotency_key=KEY, content=STATEMENT)
        assert second.json() == first.json() and hit(second)
        assert second.json()["statements"][0]["added"] == 4
        assert len(api.audit_actions("statement.imported")) == 1

    def test_an_error_answer_is_stored_like_any_other(self, api: Api) -> None:
        body = {"action": "accept", "note": "late"}
        first = api.post("/api/v1/discrepancies/9/resolve", idempotency_key=KEY, json=body)
        second = api.post("/api/v1/discrepancies/9/resolve", idempotency_key=KEY, json=body)
        assert first.status_code == second.status_code == 404
        assert second.json() == first.json() and hit(second)

    def test_a_request_refused_before_it_runs_reserves_nothing(self, api: Api) -> None:
        """A bad body stores no answer, so the corrected body may use the same key."""
        path = "/api/v1/discrepancies/9/resolve"
        bad = api.post(path, idempotency_key=KEY, json={"action": "ignore", "note": "x"})
        assert bad.status_code == 400
        fixed = api.post(path, idempotency_key=KEY, json={"action": "accept", "note": "x"})
        assert fixed.status_code == 404 and not hit(fixed)


class TestReuse:
    def test_the_same_key_with_another_body_is_409(self, api: Api) -> None:
        report = api.reconciled()
        assert report["discrepancies"]
        path = "/api/v1/discrepancies/1/resolve"
        first = api.post(path, idempotency_key=KEY, json={"action": "accept", "note": "a"})
        assert first.status_code == 200
        other = api.post(path, idempotency_key=KEY, json={"action": "accept", "note": "b"})
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        assert other.json()["error"]["field"] == "Idempotency-Key"
        [audit] = api.audit_actions("discrepancy.resolved")
        assert audit["note"] == "a"

    def test_the_same_key_on_another_route_is_409(self, api: Api) -> None:
        dead = api.dead_event()
        assert api.post(f"/api/v1/events/{dead}/replay", idempotency_key=KEY).status_code == 200
        other = api.post("/api/v1/events/replay-dead", idempotency_key=KEY)
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "idempotency_key_reused"

    def test_another_query_is_another_request(self, api: Api) -> None:
        api.post("/api/v1/statements?format=csv", idempotency_key=KEY, content=STATEMENT)
        other = api.post("/api/v1/statements?format=auto", idempotency_key=KEY, content=STATEMENT)
        assert other.status_code == 409

    @pytest.mark.parametrize("key", ["x" * 256, "has space", "tab\tinside"])
    def test_a_malformed_key_is_400(self, api: Api, key: str) -> None:
        response = api.post("/api/v1/events/replay-dead", idempotency_key=key)
        assert response.status_code == 400
        assert response.json()["error"]["field"] == "Idempotency-Key"


class TestRaces:
    def test_racing_retries_act_once_and_all_answer_the_winners_response(self, api: Api) -> None:
        dead = api.dead_event()
        responses: list[httpx.Response] = []
        start = threading.Barrier(6)

        def send() -> None:
            start.wait()
            responses.append(api.post(f"/api/v1/events/{dead}/replay", idempotency_key=KEY))

        threads = [threading.Thread(target=send) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert [r.status_code for r in responses] == [200] * 6
        assert all(r.json() == {"replayed": [dead]} for r in responses)
        assert sum(not hit(r) for r in responses) == 1
        assert len(api.audit_actions("events.replayed")) == 1


def replay_dead_request(principal: Principal) -> idempotency.Fingerprint:
    """The fingerprint ``POST /api/v1/events/replay-dead`` with :data:`KEY` gets."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/events/replay-dead",
        "query_string": b"",
        "headers": [],
    }
    return fingerprint(Request(scope), principal, KEY, None)


class TestReservations:
    def test_a_released_key_can_be_reserved_again_and_a_completed_one_answers(
        self, db: Database
    ) -> None:
        fp = replay_dead_request(Principal("write-key", Scope.WRITE))
        now = utcnow()
        first = claim(db, fp, now)
        assert isinstance(first, int)
        pending = claim(db, fp, now)
        assert isinstance(pending, Answer) and pending.status is None
        release(db, first)
        second = claim(db, fp, now)
        assert isinstance(second, int)
        complete(db, second, 200, {"replayed": []})
        done = claim(db, fp, now)
        assert isinstance(done, Answer) and (done.status, done.body) == (200, {"replayed": []})

    @pytest.mark.slow
    def test_a_request_still_running_is_409_in_progress(self, api: Api) -> None:
        claim(api.book.db, replay_dead_request(Principal("write-key", Scope.WRITE)), utcnow())
        started = time.monotonic()
        response = api.post("/api/v1/events/replay-dead", idempotency_key=KEY)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "idempotency_key_in_progress"
        assert time.monotonic() - started >= idempotency.WAIT_FOR_WINNER_S

    def test_a_reservation_abandoned_past_its_lease_is_taken_over(self, api: Api) -> None:
        dead = api.dead_event()
        long_ago = utcnow() - idempotency.RESERVATION_LEASE - dt.timedelta(minutes=1)
        claim(api.book.db, replay_dead_request(Principal("write-key", Scope.WRITE)), long_ago)
        response = api.post("/api/v1/events/replay-dead", idempotency_key=KEY)
        assert response.status_code == 200 and response.json() == {"replayed": [dead]}
        assert hit(api.post("/api/v1/events/replay-dead", idempotency_key=KEY))
