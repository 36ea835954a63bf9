"""Keys read into certificate facts: named for what they are, without a word on stderr from
`cryptography` (a warning there would reach the CLI's output)."""

from __future__ import annotations

import warnings

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from triplock.facts.x509_read import key_facts


def test_keys_are_named_and_no_deprecation_warning_reaches_the_output() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # cryptography 51 warns on DSA's classes' first use
        assert key_facts(rsa_key.public_key()) == ("RSA", 2048, None)
        assert key_facts(ec_key) == ("EC", 256, "secp256r1")
        assert key_facts(None) == ("unknown", 0, None)  # a key cryptography cannot load


def test_a_dsa_key_is_still_named_dsa() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from cryptography.hazmat.primitives.asymmetric import dsa

        key = dsa.generate_private_key(key_size=2048)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert key_facts(key.public_key()) == ("DSA", 2048, None)
        assert key_facts(key) == ("DSA", 2048, None)
