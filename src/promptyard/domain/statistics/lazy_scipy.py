"""``scipy.stats``, imported on first use.

Importing ``scipy.stats`` costs a process about 70 MB and half a second; every server
process would pay that at start although only comparisons, evaluation results and
experiment analyses use it. Modules write ``from promptyard.domain.statistics.lazy_scipy
import stats`` and call ``stats.t.ppf(...)`` as usual; the first attribute read imports it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _LazyStats:
    _module: ModuleType | None = None

    def __getattr__(self, name: str) -> Any:
        module = _LazyStats._module
        if module is None:
            module = _LazyStats._module = importlib.import_module("scipy.stats")
        return getattr(module, name)


#: Stands for the ``scipy.stats`` module.
stats: Any = _LazyStats()
