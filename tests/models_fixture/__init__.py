"""Models modules for tests/test_user_models.py: the operator's own SQLObject classes, as `--models` imports them.

- library: a small library (writers, books, tags, series) with custom table names and keys, a CamelCase class,
  ForeignKey, MultipleJoin, RelatedJoin through an intermediate table, an alternateID, a dbName of its own, defaults,
  a validator, a fromDatabase class, a base class with no table, and two deliberate mismatches.
- broken: does not compile; plain: no SQLObject class; needs_missing: imports a module that is not there;
  meddler: sets SQLObject's global sqlhub while it is imported.
"""
