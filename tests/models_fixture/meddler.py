"""A models module that sets SQLObject's global sqlhub (as scripts often do): rowdesk undoes it."""

from sqlobject import SQLObject, StringCol, sqlhub

sqlhub.processConnection = "sqlite:///nonexistent-rowdesk-dir/never-opened.sqlite"


class Note(SQLObject):
    text = StringCol()
