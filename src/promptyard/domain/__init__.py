"""Entities, schemas, errors and the template engine: pure logic, no I/O."""

#: The slug of the workspace and the project every instance starts with, and the project
#: a request, the SDK or the CLI addresses when it names none. Here, in the one module of
#: the domain the client SDK may import besides the template engine.
DEFAULT_SLUG = "default"
