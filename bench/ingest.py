"""Throughput and latency of the real-time path: signed webhooks in, journal entries out.

Starts ``ledgerbridge serve`` (HTTP + in-process worker) on a fresh book, sends N signed
Shopify ``orders/paid`` deliveries from C concurrent senders, waits until every one is posted,
and prints:

* acknowledgements per second (202s over the sending wall time);
* receive→acknowledged: client-side latency of each POST, p50/p95/p99;
* receive→posted: server-side, from the moment the delivery was stored to the moment its entry
  was committed (``posted_at − received_at`` in the inbox), p50/p95/p99;
* sustained posting rate: posted events over the time from first receipt to last posting.

Usage:
    python bench/ingest.py --db sqlite --n 5000 --c 16
    python bench/ingest.py --db postgresql --n 5000 --c 16
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select, text

from ledgerbridge.demo.driver import encode
from ledgerbridge.demo.signing import shopify_headers
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import books
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.database import connect
from ledgerbridge.store.tables import inbox_events

SECRET = "shpss_bench_secret"
PG_ADMIN = os.environ.get(
    "LEDGERBRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def make_database(kind: str, workdir: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", None
    name = f"ledgerbridge_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


def drop_database(name: str | None) -> None:
    if name is None:
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def send_all(
    url: str, bodies: list[bytes], concurrency: int, rate: float | None = None
) -> tuple[list[float], int, float]:
    """Send every body; with ``rate`` (per second) the sends are paced open-loop, so latency
    is measured at that load rather than at saturation."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(bodies)):
        queue.put_nowait(i)
    latencies: list[float] = []
    failures = 0
    begin = time.perf_counter()

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if rate is not None:
                delay = begin + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            headers = shopify_headers(bodies[i], SECRET, "orders/paid", event_id=f"bench-{i}")
            started = time.perf_counter()
            response = await client.post("/webhooks/shop", content=bodies[i], headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 202:
                failures += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, failures, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--n", type=int, default=2000, help="webhooks to send")
    parser.add_argument("--c", type=int, default=16, help="concurrent senders")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--rate", type=float, default=None, help="paced sends per second")
    parser.add_argument(
        "--split",
        action="store_true",
        help="serve --no-worker plus a separate `ledgerbridge worker` process",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lb-bench-"))
    url, pg_name = make_database(args.db, workdir)
    key = Fernet.generate_key()
    (workdir / ".ledgerbridge.key").write_bytes(key)
    db = connect(url)
    books.init_book(db, base_currency="USD")
    add_connection(db, SecretBox(key), name="shop", platform="shopify", secret=SECRET)
    day = DemoDay(dt.datetime.now(dt.UTC))
    bodies = [encode(day.order(n)[0]) for n in range(1, args.n + 1)]

    env = {
        **os.environ,
        "LEDGERBRIDGE_DATABASE_URL": url,
        "LEDGERBRIDGE_LOG_FORMAT": "json",
        # measure the pipeline, not the per-connection limit (200/s by default)
        "LEDGERBRIDGE_WEBHOOK_RATE_PER_S": "100000",
    }
    serve = [sys.executable, "-m", "ledgerbridge", "serve", "--port", str(args.port)]
    commands = [[*serve, "--no-worker"], [sys.executable, "-m", "ledgerbridge", "worker"]]
    processes = [
        subprocess.Popen(
            command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for command in (commands if args.split else [serve])
    ]
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        latencies, failures, elapsed = asyncio.run(send_all(base, bodies, args.c, args.rate))
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with db.engine.connect() as conn:
                pending = conn.execute(
                    text("SELECT count(*) FROM inbox_events WHERE status <> 'posted'")
                ).scalar_one()
            if pending == 0:
                break
            time.sleep(0.25)
    finally:
        for process in processes:
            process.terminate()
            process.wait(20)

    with db.engine.connect() as conn:
        rows = conn.execute(select(inbox_events.c.received_at, inbox_events.c.posted_at)).all()
    db.dispose()
    drop_database(pg_name)
    posted = [(r.received_at, r.posted_at) for r in rows if r.posted_at is not None]
    to_posted = [(p - r).total_seconds() for r, p in posted]
    span = (max(p for _, p in posted) - min(r for r, _ in posted)).total_seconds()
    ms = 1000.0
    print(
        f"database            {args.db}, worker "
        + ("in its own process" if args.split else "in-process")
    )
    pacing = f"paced at {args.rate:.0f}/s" if args.rate else "as fast as possible"
    print(
        f"webhooks            {args.n} sent by {args.c} concurrent senders, {pacing}, "
        f"{failures} not 202"
    )
    print(f"acknowledged/s      {(args.n - failures) / elapsed:.0f}  ({elapsed:.2f} s)")
    print(
        "receive->ack ms     "
        f"p50 {pct(latencies, 0.5) * ms:.1f}  p95 {pct(latencies, 0.95) * ms:.1f}  "
        f"p99 {pct(latencies, 0.99) * ms:.1f}  mean {statistics.mean(latencies) * ms:.1f}"
    )
    print(
        "receive->posted ms  "
        f"p50 {pct(to_posted, 0.5) * ms:.1f}  p95 {pct(to_posted, 0.95) * ms:.1f}  "
        f"p99 {pct(to_posted, 0.99) * ms:.1f}  max {max(to_posted) * ms:.1f}"
    )
    print(f"posted              {len(posted)}/{args.n}, sustained {len(posted) / span:.0f}/s")


if __name__ == "__main__":
    main()
