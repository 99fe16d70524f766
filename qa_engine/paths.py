"""Where the engine finds its data directories, installed or in a checkout."""
import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The directory `name` (templates, rubrics, migrations): env override, installed copy, or the checkout's."""
    override = os.environ.get(f"QA_ENGINE_{name.upper()}_DIR")
    if override:
        return Path(override)
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name
