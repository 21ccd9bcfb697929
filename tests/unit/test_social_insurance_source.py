"""The social-insurance system's HTTP adapter against a small local server speaking the contract of
docs/social-insurance-interface.md: answers read field by field; a timeout, a 5xx or an answer
outside the contract is "cannot tell" for every fact, never a guess."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, cast

import pytest
from sqlalchemy.orm import Session

from credential_service.core.errors import ConfigurationError
from credential_service.identity.models import Person
from credential_service.subsidies.rules import Employment
from credential_service.subsidies.social_insurance import (
    CANNOT_TELL,
    DemoSource,
    HttpSource,
    InsuredPerson,
    mask_account,
    source_from,
)

ANSWERS: dict[str, tuple[int, Any]] = {
    "110101199003077777": (
        200,
        {
            "insuredMonths": 26,
            "employmentStatus": "enterprise_employee",
            "groups": ["rural_migrant"],
            "cardAccount": "6217000010001234567",
        },
    ),
    "110101199003071111": (200, {"insuredMonths": None, "employmentStatus": None, "groups": None}),
    "110101199003072222": (404, {"code": "person_not_found"}),
    "110101199003073333": (503, {"code": "maintenance"}),
    "110101199003074444": (200, {"insuredMonths": "lots"}),
    "110101199003075555": (200, ["not", "an", "object"]),
}
SLOW = "110101199003076666"


class Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.seen.append({"path": self.path, "body": body})
        if body["idNumber"] == SLOW:
            time.sleep(1.0)
        status, answer = ANSWERS.get(body["idNumber"], (500, {}))
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except BrokenPipeError:
            pass  # the adapter gave up waiting (the timeout case)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def provincial_system() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/si"
    server.shutdown()
    server.server_close()


def _ask(url: str, number: str, timeout: float = 0.5) -> Any:
    source = HttpSource(url, timeout_seconds=timeout)
    return source.ask(cast(Session, None), InsuredPerson("resident_id", number, Person()))


def test_an_answer_is_read_field_by_field(provincial_system: str) -> None:
    answer = _ask(provincial_system, "110101199003077777")
    assert answer.answered and answer.card_account == "6217000010001234567"
    assert answer.facts.insured_months == 26 and answer.facts.employment is Employment.ENTERPRISE_EMPLOYEE
    assert answer.facts.groups == frozenset({"rural_migrant"})
    assert "6217000010001234567" not in repr(answer) and "110101199003077777" not in repr(
        InsuredPerson("resident_id", "110101199003077777", Person())
    )
    # The number travels in the body, never in the URL.
    assert Handler.seen[-1]["path"] == "/si/v1/insured-persons/query"
    assert Handler.seen[-1]["body"] == {"documentType": "resident_id", "idNumber": "110101199003077777"}


def test_null_facts_cannot_tell_and_an_unknown_person_was_never_insured(provincial_system: str) -> None:
    nulls = _ask(provincial_system, "110101199003071111")
    assert nulls.answered and nulls.facts.insured_months is None and nulls.facts.employment is None
    unknown = _ask(provincial_system, "110101199003072222")
    assert unknown.answered and unknown.facts.insured_months == 0 and unknown.card_account is None


@pytest.mark.parametrize(
    "number",
    ["110101199003073333", "110101199003074444", "110101199003075555", SLOW, "110101199003070000"],
    ids=["503", "wrong type", "not an object", "timeout", "500"],
)
def test_a_source_that_cannot_answer_cannot_tell(provincial_system: str, number: str) -> None:
    assert _ask(provincial_system, number, timeout=0.3) == CANNOT_TELL


def test_a_source_that_is_down_cannot_tell() -> None:
    assert _ask("http://127.0.0.1:9", "110101199003077777") == CANNOT_TELL


def test_the_setting_picks_the_adapter() -> None:
    assert isinstance(source_from("demo", data_key=b"k" * 32, timeout_seconds=1), DemoSource)
    assert isinstance(
        source_from("https://si.example/api", data_key=b"k" * 32, timeout_seconds=1), HttpSource
    )
    with pytest.raises(ConfigurationError, match="CS_SOCIAL_INSURANCE_SOURCE"):
        source_from("ldap://nope", data_key=b"k" * 32, timeout_seconds=1)


def test_an_account_shows_only_its_last_four_digits() -> None:
    assert mask_account("6217000010001234567") == "****4567"
    assert mask_account("123") == "****"
