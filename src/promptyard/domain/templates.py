"""The prompt template engine: Jinja2 in a sandbox with hard limits.

Prompt text is a Jinja2 template rendered as plain text (no HTML autoescaping,
trailing newline kept, line endings normalized to ``\n`` as Jinja does).
Templates are written by users, so the engine treats
them as untrusted code: it renders them in Jinja's immutable sandbox and bounds
the time, memory and output every render can use. Any failure a template can
cause surfaces as a :class:`~promptyard.domain.errors.DomainError`, never as
another exception.

Composition
-----------
A template can pull in other prompts by reference::

    {% include "prompt:tone@production" %}        the version labelled "production"
    {% include "prompt:tone@v3" %}                version 3
    {% extends "prompt:base@v2" %}
    {% import "prompt:macros@stable" as m %}
    {% from "prompt:macros@v1" import greet %}

A reference is ``prompt:NAME@LABEL`` or ``prompt:NAME@vN`` (N >= 1). NAME
matches ``[A-Za-z0-9][A-Za-z0-9._-]{0,127}``, LABEL matches
``[a-z0-9][a-z0-9._-]{0,63}``; a label spelled like ``v7`` always means version
7. References must be pinned (a bare ``prompt:NAME`` is refused) and must be
string literals, so every reference is known before rendering: cycles and
nesting deeper than ``max_include_depth`` are refused up front.
``{% include "prompt:x@v1" ignore missing %}`` renders nothing when that prompt
version does not exist.

Variables
---------
:meth:`TemplateEngine.analyze` lists the variables a template reads. A variable
is optional when it is only used through ``|default(...)`` or is tested with
``is defined`` / ``is undefined`` anywhere; otherwise it is required, and
rendering without it fails with ``MissingVariables`` naming every missing one.
For composed prompts the variables of all referenced prompts are included;
names a referencing prompt binds itself (loop variables, ``set``) count as
optional there.

Limits (:class:`TemplateLimits`, per render unless stated)
---------------------------------------------------------
``max_source_chars`` (100,000)
    Length of one template's source.
``max_output_chars`` (200,000)
    Length of the rendered text; rendering stops as soon as it is exceeded.
``max_range`` (10,000)
    Largest ``range()``.
``max_loop_iterations`` (100,000)
    Iterations of all ``{% for %}`` loops together, nested loops included.
``max_sequence_size`` (100,000)
    Size of a string or list built by an operation that can make something
    larger than its inputs: ``*``, ``+``, ``%``, ``~``, list and dict literals,
    ``center``/``ljust``/``rjust``/``zfill``/``expandtabs``/``replace``/
    ``join``/``translate``/``format``, and the filters ``center``, ``indent``,
    ``wordwrap``, ``format``, ``join``, ``replace``, ``batch``, ``slice``,
    ``sum``. Results no larger than the distinct data they were built from are
    always allowed, so a large variable can still be passed through filters.
``max_power`` (10,000)
    Integers made by ``**`` and ``*`` may have at most this many digits, and an
    exponent above it is refused.
``max_include_depth`` (8)
    Length of a chain of prompt references.
``max_includes`` (1,000)
    Prompt references expanded in one render: every ``include``, ``import``
    and ``extends`` executed counts, so a loop including a row prompt per item
    counts once per item. Bounds fan-out: 20 includes per level nested five
    levels deep would otherwise expand 3.2 million times.
``max_seconds`` (1.0)
    Wall-clock time of one request, held by a :class:`Deadline`: pass the same
    deadline to every render a request makes (every message of a chat prompt)
    and they share it. Checked cooperatively wherever work happens: every loop
    step, reference expansion, call, filter, operator and output piece, and
    while references are resolved. ``Deadline.cancel()`` (from any thread)
    stops the render at the next check with ``RenderCancelled``. Without a
    deadline, each ``render`` call gets ``max_seconds`` of its own.
``max_total_size`` (10,000,000)
    Sum of the sizes of all values built during one render (output pieces,
    filter and method results, concatenations, literals). This bounds memory
    when small pieces are multiplied by loops, ``map`` or macros. Every
    intermediate string counts, so building a long text with
    ``{% set ns.text = ns.text ~ piece %}`` in a loop reaches it quickly; capture
    with ``{% set text %}...{% endset %}`` or use ``|join`` instead.

Exceeding a limit raises ``TemplateLimitExceeded`` with
``details={"limit": name, "value": configured value}``; deep macro recursion
raises it with limit ``"recursion"``.

Error messages speak of the template, never of the implementation: "a list
has no item 5", "range() needs integer arguments", "cannot render a macro as
text". Macros, namespaces, the loop variable, ranges, dict views and iterators
have no text form and are refused when printed, instead of printing a Python
representation such as ``<Macro 'm'>``.

Sandbox
-------
Attributes starting with ``_``, mutation of lists and dicts, attributes of
classes and functions, and calls to classes other than ``dict``/``namespace``
raise ``TemplateSecurityViolation`` immediately. ``cycler``, ``joiner`` and
``lipsum`` are not available. Functions, classes and other objects without a
data representation cannot be turned into text.
"""

from promptyard.domain.templating import (
    Deadline,
    PromptRef,
    Resolver,
    TemplateEngine,
    TemplateInfo,
    TemplateLimits,
    VariableInfo,
    parse_reference,
)

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
