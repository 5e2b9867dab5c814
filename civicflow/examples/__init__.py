"""The example definitions and the demo's staff directory and cases, shipped as package
data so an installed Civicflow (a wheel, the Docker image) runs ``civicflow demo``
without a checkout.

The files themselves live at the top of the repository, where process owners find
them: ``definitions/`` and ``demo/`` here are symbolic links to those folders, so a
checkout reads the very same files and the wheel gets copies of them at build time
(``[tool.setuptools.package-data]`` in ``pyproject.toml``). Read them through
``importlib.resources``, never through paths relative to the source tree.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["CASES", "DEFINITIONS", "DIRECTORY"]

_ROOT = files(__name__)
DEFINITIONS: Traversable = _ROOT / "definitions"
DIRECTORY: Traversable = _ROOT / "demo" / "directory.yaml"
CASES: Traversable = _ROOT / "demo" / "cases.yaml"
