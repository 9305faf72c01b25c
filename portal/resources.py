"""Where the top-level `templates/`, `translations/` and `migrations/` folders are.

In a source checkout (and an editable install) they sit beside the package; a wheel
carries them inside it (see `force-include` in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder `name`, preferring the copy bundled inside an installed wheel."""
    bundled = PACKAGE_DIR / name
    return bundled if bundled.is_dir() else PACKAGE_DIR.parent / name
