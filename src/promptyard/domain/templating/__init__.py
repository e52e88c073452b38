"""The prompt template engine, split by concern; the documented entry point is
:mod:`promptyard.domain.templates`, whose docstring describes syntax and limits.

- :mod:`.references`: ``PromptRef`` and ``parse_reference``
- :mod:`.limits`: ``TemplateLimits``, the per-request ``Deadline`` and the per-render budget
- :mod:`.messages`: error text in the template's words (no Python reprs)
- :mod:`.values`: inspecting and sizing values a template builds
- :mod:`.guards`: runtime guards and the AST pass that inserts them
- :mod:`.filters`: filters wrapped with the render budget
- :mod:`.sandbox`: the sandboxed Jinja environment
- :mod:`.analysis`: variables, references and syntax error positions
- :mod:`.engine`: ``TemplateEngine`` (cache, loader, rendering)
- :mod:`.content`: rendering a whole content (text, or every message of a chat), shared
  by the server and the SDK
"""

from promptyard.domain.templating.analysis import TemplateInfo, VariableInfo
from promptyard.domain.templating.engine import TemplateEngine
from promptyard.domain.templating.limits import Deadline, TemplateLimits
from promptyard.domain.templating.references import PromptRef, Resolver, parse_reference

__all__ = [
    "Deadline",
    "PromptRef",
    "Resolver",
    "TemplateEngine",
    "TemplateInfo",
    "TemplateLimits",
    "VariableInfo",
    "parse_reference",
]
