"""Swedish check digits, shared by organisationsnummer (accounts) and personnummer (SIP).

Both end in a Luhn (mod 10) check digit over their first nine digits (Skatteverket,
SKV 704 for personnummer; SKV 709 for organisationsnummer).
"""

from __future__ import annotations


def luhn_check_digit(digits: str) -> int:
    """The Luhn (mod 10) check digit for a string of digits (the first nine of a 10-digit
    personnummer or organisationsnummer): weights 2, 1, 2, … from the left, digit sums of
    the products."""
    total = 0
    for i, ch in enumerate(digits):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10
