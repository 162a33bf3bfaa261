"""A models module that does not compile: a function's last line pasted at the top level.

(A SyntaxError that CPython's compiler raises, not its parser: the repository's `ruff check .` parses every file,
and this one must not fail it.)
"""

from sqlobject import SQLObject, StringCol


class Shelf(SQLObject):
    label = StringCol()


return Shelf  # noqa: F706
