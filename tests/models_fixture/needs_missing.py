"""A models module whose own import fails: it needs a module that is not installed."""

import rowdesk_no_such_module  # noqa: F401
from sqlobject import SQLObject, StringCol


class Shelf(SQLObject):
    label = StringCol()
