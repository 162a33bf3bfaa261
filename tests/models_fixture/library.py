"""The operator's models of a library database (the tables are made with plain SQL by the tests).

Mismatches on purpose: Author.bio has no column, Reviewer's table does not exist.
"""

import threading

from formencode import validators
from sqlobject import (
    BLOBCol,
    DateCol,
    DateTimeCol,
    DecimalCol,
    EnumCol,
    ForeignKey,
    IntCol,
    MultipleJoin,
    RelatedJoin,
    SQLObject,
    StringCol,
)

# Where the module ran: the tests check it was a worker thread (a fromDatabase class queries the database here).
IMPORTED_IN = threading.current_thread().name


class Author(SQLObject):
    class sqlmeta:
        table = "writers"
        idName = "writer_id"

    name = StringCol(dbName="full_name", alternateID=True, length=60)
    born = DateCol(default=None)
    country = StringCol(length=40, default="unknown")
    bio = StringCol(default=None)                      # not in the table
    books = MultipleJoin("Book", joinColumn="writer_ref")


class Book(SQLObject):
    title = StringCol(length=80, notNone=True)
    author = ForeignKey("Author", dbName="writer_ref", default=None)
    price = DecimalCol(size=6, precision=2, default=None)
    status = EnumCol(enumValues=["draft", "published", "out of print"], default="draft")
    published = DateTimeCol(default=None)
    pages = IntCol(default=None, validator=validators.Int(min=1))
    cover = BLOBCol(default=None)
    tags = RelatedJoin("Tag", intermediateTable="book_tag", joinColumn="book_id", otherColumn="tag_id")


class Tag(SQLObject):
    class sqlmeta:
        table = "library_tag"
        fromDatabase = True                            # its columns are read from the database, at import

    books = RelatedJoin("Book", intermediateTable="book_tag", joinColumn="tag_id", otherColumn="book_id")


class Stamped(SQLObject):
    """A base class: no table of its own."""

    created = DateTimeCol(default=DateTimeCol.now)


class BookSeries(Stamped):                             # table book_series, by SQLObject's naming style
    title = StringCol(length=80, notNone=True)


class Reviewer(SQLObject):
    class sqlmeta:
        table = "reviewers"                            # no such table

    name = StringCol()
