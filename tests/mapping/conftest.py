"""The pipeline's book (three connections, a secret box) serves the mapping tests too."""

from tests.pipeline.conftest import book

__all__ = ["book"]
