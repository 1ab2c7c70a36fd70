"""Fixtures shared by the normaliser's tests."""

import pytest

from ngoso.vntext import normalizer as normalizer_module


@pytest.fixture(scope="module")
def strict_handlers():
    """Make a bug in a token handler fail the test instead of being read plainly (the modules that want it say
    ``pytestmark = pytest.mark.usefixtures("strict_handlers")``; the speech-safety and corpus tests read the
    normaliser as the application does)."""
    normalizer_module.STRICT = True
    yield
    normalizer_module.STRICT = False
