"""Accuracy and speed of the reconciliation matcher on month-long books with ground truth.

Each seed builds one month of payouts from four connections (Stripe US and EU, Shopify,
PayPal) and the bank statement they produce, with the noise a real statement has (rates in
:class:`Noise`): deposits 0–3 business days late (US bank holidays skipped), references whole,
truncated to 16 characters at either end, or missing; pairs of payouts with the same amount on
the same day; a known bank fee kept by the bank; payouts that never arrive; deposits that are
not payouts; one payout split over two or three deposits; two or three payouts merged into one
deposit; a payout credited in the other currency; payments out; lines imported twice; and
deposits where the bank prints a generic "ACH CREDIT" instead of the gateway's name.

It runs :func:`ledgerbridge.reconcile.matching.match` and prints precision, recall and F1 for the
(payout, deposit) pairs and for each discrepancy kind, per seed and over all seeds (counts are
summed before dividing), and the time ``match`` took. Payouts left in an ``ambiguous``
discrepancy count as not found: a person decides them.

Usage:
    .venv/bin/python bench/reconcile_accuracy.py [--seeds 5] [--payouts 3000] [--days 31]
    .venv/bin/python bench/reconcile_accuracy.py --seeds 1 --payouts 100000   # the 60 s budget
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import math
import random
import shlex
import string
import sys
import time
from collections import Counter
from collections.abc import Hashable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from ledgerbridge.money import Money
from ledgerbridge.reconcile.matching import match
from ledgerbridge.reconcile.model import BankLine, DiscrepancyKind, ExpectedDeposit, MatchResult

START = dt.date(2026, 10, 1)
HOLIDAYS = frozenset({dt.date(2026, 10, 12), dt.date(2026, 11, 11), dt.date(2026, 11, 26)})
"""US bank holidays near the simulated month: deposits are not booked on them."""
FEES = (Money.of("15.00", "USD"), Money.of("0.25", "USD"), Money.of("10.00", "EUR"))
RATES = {("EUR", "USD"): Decimal("1.0857"), ("USD", "EUR"): Decimal("0.9211")}
ALNUM = string.ascii_letters + string.digits
UNRELATED = ("ACH CREDIT ACME CORP", "INTEREST PAYMENT", "CUSTOMER WIRE", "VENDOR REFUND")
Kind = DiscrepancyKind


@dataclass(frozen=True)
class Connection:
    name: str
    currency: str
    descriptor: str
    weight: float

    def new_id(self, rng: random.Random) -> str:
        """Ids shaped like the platform's: Stripe po_…, Shopify numeric, PayPal 17 characters."""
        if self.name.startswith("stripe"):
            return "po_" + "".join(rng.choices(ALNUM, k=24))
        if self.name == "shopify":
            return str(rng.randrange(10**10, 10**11))
        return "".join(rng.choices(string.ascii_uppercase + string.digits, k=17))


CONNECTIONS = (
    Connection("stripe-us", "USD", "STRIPE TRANSFER", 0.45),
    Connection("stripe-eu", "EUR", "STRIPE PAYMENTS EU", 0.15),
    Connection("shopify", "USD", "SHOPIFY PAYMENTS", 0.25),
    Connection("paypal", "USD", "PAYPAL TRANSFER", 0.15),
)


@dataclass(frozen=True)
class Noise:
    """How often each kind of trouble happens, per payout unless stated."""

    delays: tuple[float, ...] = (0.55, 0.25, 0.13, 0.07)
    """Probability of 0, 1, 2 and 3 business days between announced arrival and booking."""
    no_reference: float = 0.08
    truncated_prefix: float = 0.15
    truncated_suffix: float = 0.03
    same_amount_same_day: float = 0.02
    never_arrives: float = 0.005
    split: float = 0.005
    merged: float = 0.01
    other_currency: float = 0.003
    bank_fee: float = 0.02
    unrelated: float = 0.03
    outgoing: float = 0.3
    duplicated_line: float = 0.005
    """Per credit line."""
    generic_text: float = 0.1
    """Per deposit: the bank prints "ACH CREDIT" instead of the gateway's name."""


@dataclass
class Scenario:
    """Inputs for ``match`` and what a perfect matcher would answer."""

    payouts: list[ExpectedDeposit] = field(default_factory=list)
    lines: list[BankLine] = field(default_factory=list)
    pairs: set[tuple[str, int]] = field(default_factory=set)
    kinds: dict[Kind, set[Hashable]] = field(default_factory=lambda: {k: set() for k in Kind})


class Builder:
    """Builds one seed's scenario; the same seed always gives the same books."""

    def __init__(self, seed: int, days: int, noise: Noise) -> None:
        self.rng = random.Random(seed)
        self.noise = noise
        self.sc = Scenario()
        self.calendar = [
            d
            for d in (START + dt.timedelta(days=k) for k in range(days + 14))
            if d.weekday() < 5 and d not in HOLIDAYS
        ]
        self.month = [d for d in self.calendar if d < START + dt.timedelta(days=days)]

    def amount(self, currency: str) -> Money:
        cents = max(100, round(math.exp(self.rng.gauss(6.5, 1.3)) * 100))
        return Money.from_minor(cents, currency)

    def build(self, n: int) -> Scenario:
        rng, sc = self.rng, self.sc
        day_of: list[int] = []
        for _ in range(n):
            conn = rng.choices(CONNECTIONS, weights=[c.weight for c in CONNECTIONS])[0]
            day_of.append(rng.randrange(len(self.month)))
            money, due = self.amount(conn.currency), self.month[day_of[-1]]
            sc.payouts.append(ExpectedDeposit(conn.new_id(rng), conn.name, money, due))
        for i in range(n):  # twins: same connection, amount and day as another payout
            j = rng.randrange(n)
            p, q = sc.payouts[i], sc.payouts[j]
            if rng.random() < self.noise.same_amount_same_day and p.connection == q.connection:
                day_of[i] = day_of[j]
                sc.payouts[i] = ExpectedDeposit(
                    p.payout_id, p.connection, q.amount, q.expected_date
                )
        slots: dict[tuple[str, int], list[int]] = {}
        for i, p in enumerate(sc.payouts):
            slots.setdefault((p.connection, day_of[i]), []).append(i)
        done: set[int] = set()
        for i in range(n):
            if i not in done:
                delay = rng.choices(range(len(self.noise.delays)), weights=self.noise.delays)[0]
                mates = [j for j in slots[(sc.payouts[i].connection, day_of[i])] if j not in done]
                done.update(self.deposit(i, self.calendar[day_of[i] + delay], mates))
        self.noise_lines(n)
        descriptors = {c.name: c.descriptor for c in CONNECTIONS}
        sc.payouts = [
            dataclasses.replace(p, descriptor=descriptors[p.connection]) for p in sc.payouts
        ]
        return sc

    def deposit(self, i: int, booked: dt.date, mates: list[int]) -> list[int]:
        """Lines for payout ``i`` (and payouts merged into its deposit); returns those payouts."""
        rng, sc, noise, p = self.rng, self.sc, self.noise, self.sc.payouts[i]
        conn = next(c for c in CONNECTIONS if c.name == p.connection)
        fates = {
            "missing": noise.never_arrives,
            "split": noise.split,
            "merged": noise.merged,
            "currency": noise.other_currency,
            "fee": noise.bank_fee,
        }
        roll, fate = rng.random(), "plain"
        for name, rate in fates.items():
            if roll < rate:
                fate = name
                break
            roll -= rate
        mates = [j for j in mates if j != i][: rng.choice((1, 2))]
        fees = [f for f in FEES if f.currency == p.amount.currency and f < p.amount]
        if fate == "missing":
            sc.kinds[Kind.MISSING_DEPOSIT].add(p.payout_id)
        elif fate == "split":
            for k, part in enumerate(self.parts(p.amount.minor, rng.choice((2, 3)))):
                text = self.reference(p.payout_id) if k == 0 else ""
                line = self.line(booked, Money.from_minor(part, p.amount.currency), conn, text)
                sc.pairs.add((p.payout_id, line))
        elif fate == "merged" and mates:
            group = [i, *mates]
            total = Money.from_minor(
                sum(sc.payouts[j].amount.minor for j in group), p.amount.currency
            )
            text = self.reference(p.payout_id) if rng.random() < 0.5 else ""
            line = self.line(booked, total, conn, text)
            sc.pairs.update((sc.payouts[j].payout_id, line) for j in group)
            return group
        elif fate == "currency":
            other = "USD" if p.amount.currency == "EUR" else "EUR"
            fx = RATES[(p.amount.currency, other)]
            line = self.line(
                booked, p.amount.convert(fx, other, rounding=ROUND_HALF_EVEN), conn, p.payout_id
            )
            sc.kinds[Kind.CURRENCY_MISMATCH].add(((p.payout_id,), (line,)))
        elif fate == "fee" and fees:
            fee = rng.choice(fees)
            line = self.line(booked, p.amount - fee, conn, self.reference(p.payout_id))
            sc.pairs.add((p.payout_id, line))
            sc.kinds[Kind.AMOUNT_MISMATCH].add(((p.payout_id,), (line,)))
        else:
            line = self.line(booked, p.amount, conn, self.reference(p.payout_id))
            sc.pairs.add((p.payout_id, line))
        return [i]

    def parts(self, total: int, count: int) -> list[int]:
        cuts = sorted(self.rng.sample(range(1, total), count - 1)) if total > count else []
        return [b - a for a, b in itertools.pairwise([0, *cuts, total]) if b > a]

    def reference(self, payout_id: str) -> str:
        """The id as the bank shows it: whole, cut to 16 characters at either end, or absent."""
        roll, noise = self.rng.random(), self.noise
        if roll < noise.no_reference:
            return ""
        if roll < noise.no_reference + noise.truncated_prefix:
            return payout_id[:16]
        if roll < noise.no_reference + noise.truncated_prefix + noise.truncated_suffix:
            return payout_id[-16:]
        return payout_id

    def line(self, booked: dt.date, money: Money, conn: Connection | None, text: str) -> int:
        """A statement line; a gateway's deposit shows its descriptor (or "ACH CREDIT")."""
        sender = conn.descriptor if conn else None
        if sender and self.rng.random() < self.noise.generic_text:
            sender = "ACH CREDIT"
        text = f"{sender or ''} {text}".strip()
        lines = self.sc.lines
        lines.append(
            BankLine(
                f"BK{len(lines):07d}", booked, money, text, position=len(lines), counterparty=sender
            )
        )
        return len(lines) - 1

    def noise_lines(self, n: int) -> None:
        """Deposits that are not payouts, payments out, and lines imported twice."""
        rng, sc = self.rng, self.sc
        for _ in range(round(n * self.noise.unrelated)):
            text = f"{rng.choice(UNRELATED)} {rng.randrange(1000, 9999)}"
            money = self.amount(rng.choice(("USD", "USD", "EUR")))
            line = self.line(rng.choice(self.month), money, None, text)
            sc.kinds[Kind.UNEXPECTED_DEPOSIT].add(((), (line,)))
        for _ in range(round(n * self.noise.outgoing)):
            self.line(rng.choice(self.month), -self.amount("USD"), None, "CARD PAYMENT")
        credits = [i for i, line in enumerate(sc.lines) if line.amount.is_positive()]
        for i in rng.sample(credits, round(len(credits) * self.noise.duplicated_line)):
            o = sc.lines[i]  # a later position: the copy, not the original, is the duplicate
            sc.lines.append(
                BankLine(
                    o.bank_ref,
                    o.booking_date,
                    o.amount,
                    o.description,
                    counterparty=o.counterparty,
                    position=len(sc.lines),
                )
            )
            sc.kinds[Kind.DUPLICATE_DEPOSIT].add(((), (len(sc.lines) - 1,)))


def predicted(result: MatchResult) -> tuple[set[tuple[str, int]], dict[Kind, set[Hashable]]]:
    """The result in the same shapes as the ground truth."""
    pairs = {(p, i) for m in result.matches for p in m.payout_ids for i in m.line_indexes}
    kinds: dict[Kind, set[Hashable]] = {k: set() for k in Kind}
    for d in result.discrepancies:
        if d.kind == Kind.MISSING_DEPOSIT:
            kinds[d.kind].update(d.payout_ids)
        elif d.kind in (Kind.UNEXPECTED_DEPOSIT, Kind.DUPLICATE_DEPOSIT):
            kinds[d.kind].add(((), d.line_indexes))
        else:
            kinds[d.kind].add((d.payout_ids, d.line_indexes))
    return pairs, kinds


@dataclass
class Tally:
    """True positives, false positives and false negatives, summed over seeds."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, truth: AbstractSet[Hashable], found: AbstractSet[Hashable]) -> Tally:
        self.tp += len(truth & found)
        self.fp += len(found - truth)
        self.fn += len(truth - found)
        return self

    def row(self, name: str) -> str:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return (
            f"  {name:<20}{self.tp + self.fn:>8}{self.tp + self.fp:>8}{self.tp:>8}"
            f"{precision:>11.4f}{recall:>9.4f}{f1:>9.4f}"
        )


HEADER = f"  {'':<20}{'truth':>8}{'found':>8}{'tp':>8}{'precision':>11}{'recall':>9}{'f1':>9}"
MEASURED = ("pairs", *(k.value for k in Kind if k != Kind.AMBIGUOUS))


def run_seed(seed: int, args: argparse.Namespace, totals: dict[str, Tally]) -> float:
    """Build, match and print one seed; add its counts to ``totals``; return match's time."""
    sc = Builder(seed, args.days, Noise()).build(args.payouts)
    started = time.perf_counter()
    result = match(sc.payouts, sc.lines, known_bank_fees=FEES, holidays=HOLIDAYS)
    elapsed = time.perf_counter() - started
    pairs, kinds = predicted(result)
    credits = sum(1 for line in sc.lines if line.amount.is_positive())
    print(
        f"seed {seed}: {len(sc.payouts)} payouts, {credits} credit lines, "
        f"{len(sc.lines) - credits} payments out; match took {elapsed:.2f} s"
    )
    print(HEADER)
    for name in MEASURED:
        truth = sc.pairs if name == "pairs" else sc.kinds[Kind(name)]
        found = pairs if name == "pairs" else kinds[Kind(name)]
        print(Tally().add(truth, found).row(name))
        totals[name].add(truth, found)
    ambiguous = [d for d in result.discrepancies if d.kind == Kind.AMBIGUOUS]
    print(
        f"  ambiguous: {len(ambiguous)} groups, "
        f"{sum(len(d.payout_ids) for d in ambiguous)} payouts and "
        f"{sum(len(d.line_indexes) for d in ambiguous)} lines left to a person"
    )
    methods = Counter(m.method.value for m in result.matches)
    print("  methods: " + ", ".join(f"{k} {v}" for k, v in sorted(methods.items())))
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reconciliation matcher accuracy and speed.")
    parser.add_argument("--seeds", type=int, default=5, help="scenarios to run (seeds 1..N)")
    parser.add_argument("--payouts", type=int, default=3000, help="payouts per scenario")
    parser.add_argument("--days", type=int, default=31, help="calendar days the month spans")
    args = parser.parse_args(argv)
    print("$ " + shlex.join([sys.executable, *sys.argv]))
    print(
        f"  (seeds={args.seeds}, payouts={args.payouts}, days={args.days}; match defaults: "
        "window 3 business days, tolerance 0, max subset 4)\n"
    )
    totals = {name: Tally() for name in MEASURED}
    times = [run_seed(seed, args, totals) for seed in range(1, args.seeds + 1)]
    print(f"\noverall ({args.seeds} seeds, counts summed)")
    print(HEADER)
    for name in MEASURED:
        print(totals[name].row(name))
    print(
        f"  time to reconcile {args.payouts} payouts: mean {sum(times) / len(times):.2f} s, "
        f"max {max(times):.2f} s"
    )


if __name__ == "__main__":
    main()
