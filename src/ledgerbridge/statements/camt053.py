"""ISO 20022 cash-management reports (camt.053 statements, camt.052 reports, camt.054
notifications) → :class:`Statement` values, read with lxml.

Why lxml and local names: the eight published versions (``camt.053.001.02`` … ``.08``) differ
in namespace but not in the elements a reconciliation needs, and some banks send no namespace
at all (``bsp_camt053_no_namespace.xml``). Every lookup here matches on local names, so one
reader covers them all. We do not validate against the ISO XSD: the schemas are not shipped
with any package we depend on, and real files that break them in harmless ways (an extra
decimal, a date-time where a date belongs) still carry correct money.

Mapping (per ``Ntry``, one booked entry = one bank line, batches included):

* ``bank_ref`` ← ``AcctSvcrRef``, else ``NtryRef`` (INTERFACE ``bank_ref``);
* amount ← ``Amt`` signed by ``CdtDbtInd`` (``CRDT`` +, ``DBIT`` −). ``RvslInd`` does not flip
  the sign: the indicator already states the direction of the reversing booking;
* ``references`` ← ``NtryRef`` (when not the bank_ref), then for every ``TxDtls`` its ``Refs``
  (end-to-end id, transaction id, mandate …), structured creditor references and unstructured
  remittance lines, in file order — a batch credit carries every payout id it settles;
* counterparty ← the debtor of a credit, the creditor of a debit (``Pty/Nm`` in v8), ultimate
  parties as fallback; ``transaction_code`` ← ``BkTxCd`` domain/family/sub-family, else the
  proprietary code.

Traps:

* Balances: opening is ``OPBD`` (else ``PRCD``, the previous closing), closing ``CLBD``. Available
  balances (``OPAV``/``CLAV``) are not booked balances and are never used instead.
* A balance in a currency other than the statement's (the genkgo samples put ``CLBD`` in SEK on
  an EUR account) cannot be compared with the lines, so it is left out (``None``), which makes
  ``balance_gap`` unknown rather than wrong. An *entry* in another currency is refused.
* Entries whose status is not booked (``PDNG``, ``INFO``) are not bank lines and are skipped.
* ``<Dt>`` sometimes holds a date-time, and ``<DtTm>`` may carry nine fractional digits; the
  booking date is the date part as the bank wrote it, never converted to another zone.
* The parser refuses DTDs and entities (no XXE, no billion laughs) and never touches the network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from ledgerbridge.reconcile.model import BankLine, Statement
from ledgerbridge.statements.base import (
    StatementInvalid,
    check_currency,
    clean,
    read_decimal,
    to_money,
    unique,
)

if TYPE_CHECKING:
    from ledgerbridge.money import Money
    from ledgerbridge.statements.csv_profile import CsvProfile

_Element = etree._Element

_CONTAINERS = {
    "BkToCstmrStmt": "Stmt",
    "BkToCstmrAcctRpt": "Rpt",
    "BkToCstmrDbtCdtNtfctn": "Ntfctn",
}
_MARKERS = tuple(name.encode() for name in _CONTAINERS)
_SKIPPED_STATUSES = {"PDNG", "INFO", "FUTR"}


def _local(element: _Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rpartition("}")[2]


def _kids(element: _Element, name: str) -> list[_Element]:
    return [child for child in element if _local(child) == name]


def _find(element: _Element, path: str) -> _Element | None:
    """The first element along ``path`` (local names separated by ``/``), or None."""
    found: list[_Element] = [element]
    for step in path.split("/"):
        found = [kid for parent in found for kid in _kids(parent, step)]
        if not found:
            return None
    return found[0]


def _text(element: _Element, path: str) -> str | None:
    found = _find(element, path)
    return clean(found.text) if found is not None else None


def _where(element: _Element, path: str = "") -> str:
    names: list[str] = []
    node: _Element | None = element
    while node is not None and _local(node) not in ("Stmt", "Rpt", "Ntfctn", ""):
        names.append(_local(node))
        node = node.getparent()
    names.reverse()
    full = "/".join([*names, path] if path else names)
    return f"line {element.sourceline}: {full}"


def _date(element: _Element, path: str) -> dt.date | None:
    """A ``Dt``/``DtTm`` choice under ``path``: the date part as written."""
    holder = _find(element, path)
    if holder is None:
        return None
    # lxml elements without children are falsy, hence no ``or`` chain here.
    node = next((n for n in (_find(holder, "Dt"), _find(holder, "DtTm")) if n is not None), holder)
    text = (node.text or "").strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise StatementInvalid(
            f"{_where(node)}: {text!r} is not a date", field=_where(node)
        ) from None


@dataclass(frozen=True, slots=True)
class CamtParser:
    """camt.052 / camt.053 / camt.054, any version, with or without a namespace."""

    format: str = "camt053"

    def identify(self, head: bytes) -> bool:
        return any(marker in head for marker in _MARKERS)

    def parse(self, data: bytes, *, profile: CsvProfile | None = None) -> list[Statement]:
        del profile  # CSV only
        root = _parse_xml(data)
        container = next((c for c in root if _local(c) in _CONTAINERS), None)
        if container is None:
            raise StatementInvalid(
                f"line {root.sourceline}: <{_local(root)}> holds no BkToCstmrStmt, "
                "BkToCstmrAcctRpt or BkToCstmrDbtCdtNtfctn",
                field=f"line {root.sourceline}",
            )
        kind = _CONTAINERS[_local(container)]
        return [_statement(node) for node in _kids(container, kind)]


def _parse_xml(data: bytes) -> _Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        raise StatementInvalid(
            f"line {line}: the XML is not well-formed ({exc.msg})", field=f"line {line}"
        ) from None
    if _local(root) != "Document":
        raise StatementInvalid(
            f"line {root.sourceline}: root element is <{_local(root)}>, not <Document>",
            field=f"line {root.sourceline}",
        )
    return root


def _statement(node: _Element) -> Statement:
    account = _text(node, "Acct/Id/IBAN") or _text(node, "Acct/Id/Othr/Id")
    currency = _statement_currency(node)
    lines: list[BankLine] = []
    for entry in _kids(node, "Ntry"):
        status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
        if status in _SKIPPED_STATUSES:
            continue
        lines.append(_line(entry, currency, account, position=len(lines)))
    return Statement(
        account=account,
        currency=currency,
        lines=tuple(lines),
        statement_id=_text(node, "Id"),
        opening_balance=_balance(node, currency, ("OPBD", "PRCD")),
        closing_balance=_balance(node, currency, ("CLBD",)),
        period_start=_date(node, "FrToDt/FrDtTm"),
        period_end=_date(node, "FrToDt/ToDtTm"),
    )


def _statement_currency(node: _Element) -> str:
    """``Acct/Ccy``, else the currency of the booked balances, else of the first entry."""
    code = _text(node, "Acct/Ccy")
    where = _where(node, "Acct/Ccy")
    if code is None:
        for balance in _kids(node, "Bal"):
            if _balance_code(balance) in ("OPBD", "PRCD", "CLBD"):
                amount = _find(balance, "Amt")
                if amount is not None and amount.get("Ccy"):
                    code, where = amount.get("Ccy"), _where(amount)
                    break
    if code is None:
        amount = _find(node, "Ntry/Amt")
        if amount is not None:
            code, where = amount.get("Ccy"), _where(amount)
    if code is None:
        raise StatementInvalid(
            f"{_where(node)}: no currency (no Acct/Ccy, balance or entry amount)",
            field=_where(node),
        )
    return check_currency(code, where=where)


def _balance_code(balance: _Element) -> str | None:
    return _text(balance, "Tp/CdOrPrtry/Cd") or _text(balance, "Tp/CdOrPrtry/Prtry")


def _balance(node: _Element, currency: str, codes: tuple[str, ...]) -> Money | None:
    by_code = {_balance_code(b): b for b in reversed(_kids(node, "Bal"))}
    for code in codes:
        balance = by_code.get(code)
        if balance is None:
            continue
        amount = _find(balance, "Amt")
        if amount is not None and amount.get("Ccy", currency).upper() != currency:
            return None  # not comparable with the lines; see the module docstring
        return _signed_amount(balance, currency)
    return None


def _signed_amount(holder: _Element, currency: str) -> Money:
    """``Amt`` of an ``Ntry`` or ``Bal``, signed by its ``CdtDbtInd``."""
    amount = _find(holder, "Amt")
    if amount is None:
        raise StatementInvalid(f"{_where(holder)}: no Amt", field=_where(holder))
    where = _where(amount)
    number = read_decimal(amount.text or "", where=where)
    indicator = _text(holder, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise StatementInvalid(
            f"{_where(holder, 'CdtDbtInd')}: {indicator!r} is neither CRDT nor DBIT",
            field=_where(holder, "CdtDbtInd"),
        )
    money = to_money(number, currency, where=where)
    return -money if indicator == "DBIT" else money


def _line(entry: _Element, currency: str, account: str | None, *, position: int) -> BankLine:
    amount = _find(entry, "Amt")
    if amount is not None and amount.get("Ccy", currency).upper() != currency:
        where = _where(amount)
        raise StatementInvalid(
            f"{where}: entry in {amount.get('Ccy')} on a {currency} statement", field=where
        )
    money = _signed_amount(entry, currency)
    booking = _date(entry, "BookgDt") or _date(entry, "ValDt")
    if booking is None:
        raise StatementInvalid(f"{_where(entry)}: no BookgDt", field=_where(entry))
    bank_ref = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    details = [tx for d in _kids(entry, "NtryDtls") for tx in _kids(d, "TxDtls")]
    return BankLine(
        bank_ref=bank_ref,
        booking_date=booking,
        amount=money,
        description=_description(entry, details),
        value_date=_date(entry, "ValDt"),
        counterparty=_counterparty(details, credit=money.amount >= 0),
        references=unique(_references(entry, details), skip=(bank_ref, "NOTPROVIDED")),
        transaction_code=_transaction_code(entry),
        account=account,
        position=position,
    )


def _references(entry: _Element, details: list[_Element]) -> list[str | None]:
    found: list[str | None] = [_text(entry, "NtryRef")]
    for batch in (b for d in _kids(entry, "NtryDtls") for b in _kids(d, "Btch")):
        found += [_text(batch, "MsgId"), _text(batch, "PmtInfId")]
    for tx in details:
        refs = _find(tx, "Refs")
        if refs is not None:
            leaves = (r for r in refs.iter() if _local(r) not in ("", "Tp") and len(r) == 0)
            found += [clean(r.text) for r in leaves]
        for info in _kids(tx, "RmtInf"):
            found += [clean(s.text) for s in info.iter() if _local(s) in ("Ref", "AddtlRmtInf")]
            found += [clean(u.text) for u in _kids(info, "Ustrd")]
    return found


def _description(entry: _Element, details: list[_Element]) -> str:
    parts = [
        clean(u.text) for tx in details for i in _kids(tx, "RmtInf") for u in _kids(i, "Ustrd")
    ]
    parts += [_text(tx, "AddtlTxInf") for tx in details]
    parts.append(_text(entry, "AddtlNtryInf"))
    return " / ".join(unique(parts))


def _counterparty(details: list[_Element], *, credit: bool) -> str | None:
    order = ("Dbtr", "UltmtDbtr", "Cdtr", "UltmtCdtr")
    if not credit:
        order = ("Cdtr", "UltmtCdtr", "Dbtr", "UltmtDbtr")
    for role in order:
        for tx in details:
            name = _text(tx, f"RltdPties/{role}/Nm") or _text(tx, f"RltdPties/{role}/Pty/Nm")
            if name:
                return name
    return None


def _transaction_code(entry: _Element) -> str | None:
    domain = _find(entry, "BkTxCd/Domn")
    if domain is not None:
        parts = (_text(domain, "Cd"), _text(domain, "Fmly/Cd"), _text(domain, "Fmly/SubFmlyCd"))
        return "/".join(p for p in parts if p) or None
    return _text(entry, "BkTxCd/Prtry/Cd")
