"""A stand-in for www.ecb.europa.eu on 127.0.0.1: the ECB's reference-rate files over real HTTP.

The daily and 90-day files are the public samples, byte for byte. The full history is written
from the history CSV sample in the ECB's exact XML layout (:func:`history_xml`; a test shows
that the same writer reproduces the 90-day sample byte for byte). The server counts the
requests it answers, can serve a broken file, and can be taken down and brought back.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Response

from tests.servers import serve_in_thread

PATH = "/stats/eurofxref/"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><gesmes:Envelope '
    'xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
    'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">'
    "<gesmes:subject>Reference rates</gesmes:subject><gesmes:Sender>"
    "<gesmes:name>European Central Bank</gesmes:name></gesmes:Sender><Cube>"
)
TAIL = "</Cube></gesmes:Envelope>"


def history_rows(history_csv: Path) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(date, [(currency, rate text)]) per CSV row, newest first, as the ECB lists them."""
    with history_csv.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        currencies = next(reader)[1:]
        for row in reader:
            quotes = [(c, v) for c, v in zip(currencies, row[1:], strict=False) if c and v != "N/A"]
            yield row[0], quotes


def history_xml(history_csv: Path, *, first: str = "", last: str = "9999") -> bytes:
    """The ECB hist XML layout: one line per day, double quotes, newest day first."""
    days = [
        f'<Cube time="{day}">'
        + "".join(f'<Cube currency="{c}" rate="{v}"/>' for c, v in quotes)
        + "</Cube>"
        for day, quotes in history_rows(history_csv)
        if first <= day <= last
    ]
    return (HEAD + "\n".join(days) + TAIL).encode("ascii")


@dataclass
class FakeEcb:
    files: dict[str, bytes]
    requests: list[str] = field(default_factory=list)
    broken: bool = False
    """Serve each file cut in half (not well-formed XML), as a proxy failing mid-body would."""
    status: int = 200
    _stack: ExitStack | None = None
    url: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get(PATH + "{name}")
        def feed(name: str) -> Response:
            self.requests.append(name)
            body = self.files.get(name)
            if body is None:
                return Response(status_code=404)
            if self.status != 200:
                return Response(b"Service Unavailable", status_code=self.status)
            if self.broken:
                body = body[: len(body) // 2]
            return Response(body, media_type="text/xml")

        return app

    def start(self) -> str:
        self._stack = ExitStack()
        base = self._stack.enter_context(serve_in_thread(self.app()))
        self.url = base + PATH
        return self.url

    def stop(self) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    def count(self, name: str) -> int:
        return self.requests.count(name)
