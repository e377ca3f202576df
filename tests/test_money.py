"""Money: exact amounts at ISO 4217 exponents, no floats, no silent rounding, exact allocation.

Each class covers one operation of :mod:`ledgerbridge.money`; property tests at the end of each
class hold the invariants over random amounts drawn by :mod:`tests.strategies`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.money import (
    CurrencyMismatch,
    InvalidAmount,
    Money,
    UnknownCurrency,
    active_currencies,
    allocate,
    exponent,
    quantum,
)
from tests.strategies import currencies, money, weights


def usd(value: str) -> Money:
    return Money.of(value, "USD")


class TestExponent:
    @pytest.mark.parametrize(
        ("currency", "places"),
        [("JPY", 0), ("KRW", 0), ("USD", 2), ("EUR", 2), ("KWD", 3), ("BHD", 3), ("CLF", 4)],
    )
    def test_exponent_is_the_iso_4217_minor_unit(self, currency: str, places: int) -> None:
        assert exponent(currency) == places

    def test_every_active_currency_has_a_non_negative_exponent(self) -> None:
        codes = active_currencies()
        assert {"USD", "EUR", "JPY", "KWD", "GBP", "CHF"} <= codes
        assert all(exponent(code) >= 0 for code in codes)

    def test_every_active_code_is_three_upper_case_letters(self) -> None:
        assert all(len(code) == 3 and code.isupper() for code in active_currencies())

    @pytest.mark.parametrize("code", ["usd", "Usd", "ZZZ", "US", "USDT", "", "XAU", "XXX"])
    def test_an_unknown_lower_case_or_unitless_code_is_refused(self, code: str) -> None:
        with pytest.raises(UnknownCurrency) as caught:
            exponent(code)
        assert caught.value.code == "unknown_currency"
        assert isinstance(caught.value, LedgerBridgeError)

    def test_the_quantum_is_one_minor_unit(self) -> None:
        assert quantum("USD") == Decimal("0.01")
        assert quantum("JPY") == Decimal("1")
        assert quantum("KWD") == Decimal("0.001")


class TestOf:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            ("12.30", "12.30"),
            ("12.3", "12.30"),
            (" 12.30 ", "12.30"),
            (12, "12.00"),
            (Decimal("12.30"), "12.30"),
            ("-7", "-7.00"),
        ],
    )
    def test_strings_ints_and_decimals_are_read_exactly(
        self, value: str | int | Decimal, text: str
    ) -> None:
        assert Money.of(value, "USD").format() == text

    def test_the_amount_is_held_at_the_currency_exponent(self) -> None:
        assert Money.of("12.3", "USD").amount.as_tuple().exponent == -2
        assert Money.of(5, "KWD").format() == "5.000"
        assert Money.of("1e3", "JPY").format() == "1000"

    def test_a_float_is_refused_with_type_error(self) -> None:
        with pytest.raises(TypeError, match="float"):
            Money.of(0.1, "USD")  # type: ignore[arg-type]

    @pytest.mark.parametrize("value", [True, False])
    def test_a_boolean_is_refused_with_type_error(self, value: bool) -> None:
        with pytest.raises(TypeError, match="boolean"):
            Money.of(value, "USD")

    @pytest.mark.parametrize("value", [None, [1], b"1.00"])
    def test_other_types_are_refused_with_type_error(self, value: object) -> None:
        with pytest.raises(TypeError):
            Money.of(value, "USD")  # type: ignore[arg-type]

    @pytest.mark.parametrize("value", ["abc", "", "1,00", "NaN", "Infinity", "-inf", "sNaN"])
    def test_text_that_is_not_a_finite_number_is_invalid(self, value: str) -> None:
        with pytest.raises(InvalidAmount) as caught:
            Money.of(value, "USD", field="total")
        assert caught.value.field == "total"

    @pytest.mark.parametrize(
        ("value", "currency"), [("1.005", "USD"), ("1.5", "JPY"), ("0.0001", "KWD")]
    )
    def test_more_decimals_than_the_currency_allows_is_invalid(
        self, value: str, currency: str
    ) -> None:
        with pytest.raises(InvalidAmount, match="more decimals"):
            Money.of(value, currency)

    def test_trailing_zeros_beyond_the_exponent_are_not_extra_decimals(self) -> None:
        assert Money.of("1.5000", "USD") == usd("1.50")

    def test_a_named_rounding_rounds_explicitly(self) -> None:
        assert Money.of("1.005", "USD", rounding=ROUND_HALF_EVEN) == usd("1.00")
        assert Money.of("1.005", "USD", rounding=ROUND_HALF_UP) == usd("1.01")
        assert Money.of("2.5", "JPY", rounding=ROUND_HALF_EVEN) == Money.of(2, "JPY")

    @pytest.mark.parametrize("currency", ["usd", "ABC", "XAU"])
    def test_an_unknown_currency_is_refused(self, currency: str) -> None:
        with pytest.raises(UnknownCurrency):
            Money.of("1.00", currency)

    def test_equal_amounts_written_differently_are_equal(self) -> None:
        assert usd("1.5") == usd("1.50") == Money.of(Decimal("1.500"), "USD")
        assert hash(usd("1.5")) == hash(usd("1.50"))
        assert usd("1.50") != Money.of("1.50", "EUR")

    def test_negative_zero_prints_as_zero(self) -> None:
        # A platform that sends "-0.00", or a tiny negative rounded away, must not put
        # "-0.00" into a report.
        assert Money.of("-0.00", "USD").format() == "0.00"
        assert Money.of("-0.004", "USD", rounding=ROUND_HALF_EVEN).format() == "0.00"

    def test_an_amount_too_large_to_hold_exactly_is_an_invalid_amount(self) -> None:
        # 10**30 dollars needs 33 digits; the decimal context holds 28. Callers must get the
        # typed error the HTTP and CLI edges know how to render, not decimal.InvalidOperation.
        with pytest.raises(InvalidAmount):
            Money.of("1e30", "USD")


class TestConstructor:
    def test_the_plain_constructor_takes_only_a_decimal(self) -> None:
        with pytest.raises(TypeError, match="Decimal"):
            Money("1.00", "USD")  # type: ignore[arg-type]

    def test_the_plain_constructor_refuses_an_unquantised_amount(self) -> None:
        with pytest.raises(InvalidAmount):
            Money(Decimal("1.001"), "USD")

    def test_zero_is_zero_at_the_currency_exponent(self) -> None:
        assert Money.zero("KWD").format() == "0.000"
        assert Money.zero("USD").is_zero()
        assert not Money.zero("USD").is_positive()

    def test_money_is_immutable(self) -> None:
        m = usd("1.00")
        with pytest.raises(AttributeError):
            m.amount = Decimal("2.00")  # type: ignore[misc]


class TestMinorUnits:
    @pytest.mark.parametrize(
        ("minor", "currency", "text"),
        [
            (123450, "USD", "1234.50"),
            (1000, "JPY", "1000"),
            (1, "KWD", "0.001"),
            (-5, "USD", "-0.05"),
            (12345, "CLF", "1.2345"),
            (0, "EUR", "0.00"),
        ],
    )
    def test_from_minor_places_the_decimal_point_by_exponent(
        self, minor: int, currency: str, text: str
    ) -> None:
        m = Money.from_minor(minor, currency)
        assert m.format() == text
        assert m.minor == minor

    @pytest.mark.parametrize("minor", [1.0, True, "100", Decimal(100)])
    def test_from_minor_takes_only_an_int(self, minor: object) -> None:
        with pytest.raises(TypeError):
            Money.from_minor(minor, "USD")  # type: ignore[arg-type]

    def test_minor_is_what_the_database_stores(self) -> None:
        assert usd("1234.50").minor == 123450
        assert Money.of("-0.07", "USD").minor == -7
        assert Money.of("1.234", "KWD").minor == 1234

    @given(st.integers(min_value=-(10**25), max_value=10**25), currencies)
    def test_from_minor_then_minor_is_the_identity(self, minor: int, currency: str) -> None:
        assert Money.from_minor(minor, currency).minor == minor

    @given(money())
    def test_format_then_of_is_the_identity(self, m: Money) -> None:
        assert Money.of(m.format(), m.currency) == m
        assert Money.from_minor(m.minor, m.currency) == m


class TestArithmetic:
    def test_add_and_subtract_within_a_currency(self) -> None:
        assert usd("10.10") + usd("0.95") == usd("11.05")
        assert usd("10.10") - usd("10.95") == usd("-0.85")

    def test_negate_and_absolute_value(self) -> None:
        assert -usd("3.20") == usd("-3.20")
        assert abs(usd("-3.20")) == usd("3.20")
        assert (-Money.zero("USD")).format() == "0.00"

    def test_comparisons_within_a_currency(self) -> None:
        assert usd("1.00") < usd("1.01") <= usd("1.01")
        assert usd("2.00") > usd("1.99") >= usd("1.99")

    @pytest.mark.parametrize(
        "operation",
        [
            lambda a, b: a + b,
            lambda a, b: a - b,
            lambda a, b: a < b,
            lambda a, b: a <= b,
            lambda a, b: a > b,
            lambda a, b: a >= b,
        ],
        ids=["add", "sub", "lt", "le", "gt", "ge"],
    )
    def test_mixing_currencies_is_refused(self, operation: object) -> None:
        with pytest.raises(CurrencyMismatch, match="USD with EUR"):
            operation(usd("1.00"), Money.of("1.00", "EUR"))  # type: ignore[operator]

    def test_adding_a_plain_number_is_refused(self) -> None:
        with pytest.raises(TypeError):
            usd("1.00") + Decimal(1)  # type: ignore[operator]

    @given(st.data(), currencies)
    def test_subtracting_what_was_added_gives_back_the_original(
        self, data: st.DataObject, currency: str
    ) -> None:
        a = data.draw(money(currency))
        b = data.draw(money(currency))
        assert (a + b) - b == a
        assert (a - b) + b == a
        assert a + b == b + a


class TestMultiply:
    def test_multiply_by_a_decimal_rounds_as_named(self) -> None:
        assert usd("10.00").multiply("0.029", rounding=ROUND_HALF_EVEN) == usd("0.29")
        assert usd("0.05").multiply(Decimal("0.5"), rounding=ROUND_HALF_UP) == usd("0.03")
        assert usd("0.05").multiply(Decimal("0.5"), rounding=ROUND_HALF_EVEN) == usd("0.02")
        assert usd("1.25").multiply(3, rounding=ROUND_HALF_EVEN) == usd("3.75")

    def test_multiply_by_a_float_is_refused(self) -> None:
        with pytest.raises(TypeError, match="float"):
            usd("10.00").multiply(1.5, rounding=ROUND_HALF_EVEN)  # type: ignore[arg-type]

    def test_multiply_by_a_boolean_is_refused(self) -> None:
        with pytest.raises(TypeError, match="boolean"):
            usd("10.00").multiply(True, rounding=ROUND_HALF_EVEN)

    def test_convert_applies_the_rate_into_the_target_currency(self) -> None:
        eur = Money.of("100.00", "EUR")
        assert eur.convert("1.0857", "USD", rounding=ROUND_HALF_EVEN) == usd("108.57")
        assert eur.convert("162.3456", "JPY", rounding=ROUND_HALF_EVEN) == Money.of(16235, "JPY")

    def test_convert_at_a_float_rate_is_refused(self) -> None:
        with pytest.raises(TypeError, match="float"):
            Money.of("1.00", "EUR").convert(1.08, "USD", rounding=ROUND_HALF_EVEN)  # type: ignore[arg-type]


class TestFormat:
    @pytest.mark.parametrize(
        ("money_", "text"),
        [
            (Money.of("1234.5", "USD"), "1234.50"),
            (Money.of("-1234.5", "USD"), "-1234.50"),
            (Money.of(1000, "JPY"), "1000"),
            (Money.of("1", "KWD"), "1.000"),
            (Money.of("1E+6", "USD"), "1000000.00"),
            (Money.of("0.0001", "CLF"), "0.0001"),
        ],
    )
    def test_format_gives_a_plain_decimal_at_the_exponent(self, money_: Money, text: str) -> None:
        assert money_.format() == text

    def test_str_names_the_currency(self) -> None:
        assert str(usd("12.3")) == "12.30 USD"


class TestAllocate:
    def test_a_hundred_over_three_gives_the_extra_cent_to_the_first(self) -> None:
        assert allocate(usd("100.00"), [1, 1, 1]) == [usd("33.34"), usd("33.33"), usd("33.33")]

    def test_a_negative_total_gives_mirror_image_parts(self) -> None:
        assert allocate(usd("-100.00"), [1, 1, 1]) == [
            usd("-33.34"),
            usd("-33.33"),
            usd("-33.33"),
        ]

    def test_the_leftover_goes_to_the_largest_remainder_not_the_first_part(self) -> None:
        # Exact shares 2.33 and 4.67 cents: floors 2 and 4, the spare cent goes to the second.
        assert allocate(usd("0.07"), [1, 2]) == [usd("0.02"), usd("0.05")]

    def test_a_zero_weight_gets_nothing(self) -> None:
        assert allocate(usd("10.00"), [0, 1, 0, 1]) == [
            usd("0"),
            usd("5.00"),
            usd("0"),
            usd("5.00"),
        ]

    def test_decimal_weights_such_as_line_amounts_are_accepted(self) -> None:
        parts = allocate(usd("10.00"), [Decimal("19.99"), Decimal("5.01")])
        assert parts == [usd("8.00"), usd("2.00")]

    def test_a_zero_total_gives_zero_parts(self) -> None:
        assert allocate(Money.zero("JPY"), [1, 2]) == [Money.zero("JPY")] * 2

    def test_a_currency_without_decimals_splits_whole_units(self) -> None:
        yen = [Money.of(n, "JPY") for n in (34, 33, 33)]
        assert allocate(Money.of(100, "JPY"), [1, 1, 1]) == yen

    def test_the_method_and_the_function_agree(self) -> None:
        assert usd("1.00").allocate([3, 7]) == allocate(usd("1.00"), [3, 7])

    @pytest.mark.parametrize(
        ("weights_", "message"),
        [([], "at least one"), ([1, -1], "negative"), ([0, 0], "all be zero")],
    )
    def test_unusable_weights_are_refused(self, weights_: list[int], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            allocate(usd("1.00"), weights_)

    @pytest.mark.parametrize("weight", [0.5, True])
    def test_a_float_or_boolean_weight_is_refused(self, weight: object) -> None:
        with pytest.raises(TypeError):
            allocate(usd("1.00"), [1, weight])  # type: ignore[list-item]

    def test_a_single_weight_receives_the_whole_amount_even_at_28_digits(self) -> None:
        # 28 significant digits is the most Money holds; the shares must still be exact.
        total = Money.of("5904861889950091105420780932", "JPY")
        assert allocate(total, [610]) == [total]

    @given(st.data(), currencies, weights)
    def test_the_parts_always_sum_to_the_total(
        self, data: st.DataObject, currency: str, weights_: list[int | Decimal]
    ) -> None:
        total = data.draw(money(currency))
        parts = allocate(total, weights_)
        assert len(parts) == len(weights_)
        assert all(p.currency == currency for p in parts)
        assert sum(p.minor for p in parts) == total.minor

    @given(st.data(), currencies, weights)
    def test_each_part_is_within_one_minor_unit_of_its_exact_share(
        self, data: st.DataObject, currency: str, weights_: list[int | Decimal]
    ) -> None:
        total = data.draw(money(currency))
        weight_sum = sum(Fraction(w) for w in weights_)
        for part, weight in zip(allocate(total, weights_), weights_, strict=True):
            exact = Fraction(total.minor) * Fraction(weight) / weight_sum
            assert abs(part.minor - exact) < 1

    @given(st.data(), currencies, weights)
    def test_negating_the_total_negates_every_part(
        self, data: st.DataObject, currency: str, weights_: list[int | Decimal]
    ) -> None:
        total = data.draw(money(currency))
        assert allocate(-total, weights_) == [-p for p in allocate(total, weights_)]
