"""The benchmarks of docs/benchmarks.md; section 1 (balancing quality) lives in this package.

The engine is imported as the top-level package ``balancing`` straight from its folder inside
the integration, so the benchmark runs without Home Assistant installed. It is loaded by path,
not by putting ``custom_components/smartmulti`` on ``sys.path``: the integration's own modules
(``select.py``, ``switch.py``) would then shadow the standard library's.
"""

import importlib.util
from pathlib import Path
import sys

_ENGINE = Path(__file__).resolve().parent.parent / "custom_components" / "smartmulti" / "balancing"
if "balancing" not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        "balancing", _ENGINE / "__init__.py", submodule_search_locations=[str(_ENGINE)]
    )
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["balancing"] = _module
    _spec.loader.exec_module(_module)
