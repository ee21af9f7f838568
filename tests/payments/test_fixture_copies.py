"""The copy of Bankgirot's example file in the repo is the shared original, byte for byte."""

import pytest

from tests.fixtures import BGMAX_EXAMPLE_NAME, HERE, SHARED


def test_the_bgmax_copy_is_the_original():
    original = SHARED / "bgmax" / BGMAX_EXAMPLE_NAME
    if not original.is_file():
        pytest.skip(f"{original} is not beside this checkout")
    assert (HERE / "bgmax" / BGMAX_EXAMPLE_NAME).read_bytes() == original.read_bytes()
