"""The operator's own SQLObject classes (`--models package.module`): imported, bound to the open database,
matched to its tables, and described for the screens: declared columns, defaults, alternate ids, foreign keys
and joins (navigable like foreign keys), validators, and a one-line warning per mismatch with the database.

- `load_models` runs in a worker thread: a class with `sqlmeta.fromDatabase` queries the database while its
  module runs. Each class is bound to the open database's SQLObject connection, never through the global
  `sqlhub`: the module gets that connection as its `__connection__` global before it runs (SQLObject's own
  per-module binding, which it reads while a class is made, so `fromDatabase` reads the right database), and
  every class found gets `setConnection` after. A module that sets `sqlhub` itself is undone, with a warning.
- Nothing here loads a row (no `get()`, no `select()`): rowdesk reads and writes rows with its own SQL. The
  model only adds what the operator declared: the form's names, defaults and checks (`validate`), and joins.
- `validate` runs a column's SQLObject validator both ways (from_python, then to_python as the application
  would read the value back) only to ask whether the model accepts a value; what the validator returns is
  never written (SQLObject's validators rewrite datetimes and BLOBs, PITFALLS.md "Writes"). It also checks
  what SQLObject declares but never checks: a StringCol's length, a DecimalCol's size and precision.
- A broken module is one line (ModelsError): the module, the file and line, what went wrong.

The results are plain data, safe on the reactor thread; `ModelSet.check` (pure) adds the column checks once a
table is described.
"""

from __future__ import annotations

import decimal
import importlib
import importlib.abc
import inspect
import os
import sys
import sysconfig
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import formencode
import sqlobject
from sqlobject import classregistry, sqlbuilder
from sqlobject.col import SODateCol, SODateTimeCol, SOStringLikeCol, SOTimeCol
from sqlobject.dbconnection import ConnWrapper
from sqlobject.main import SQLObject, sqlhub

from storage.filters import Condition
from storage.jobs import Cancelled
from storage.schema import Reference, Table, TableEntry, Through

__all__ = ["NO_DEFAULT", "ModelColumn", "ModelInfo", "ModelSet", "ModelsError", "Through", "load", "load_models",
           "through_condition", "validate"]


class ModelsError(Exception):
    """The models module cannot be used; str() is one line for the operator (module, file and line, why)."""

    def __init__(self, message: str, *, module: str, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.module, self.file, self.line = module, file, line


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"

    def __bool__(self) -> bool:
        return False


NO_DEFAULT: Any = _NoDefault()          # a column declared without a default (None is a default: NULL)


class ModelColumn(NamedTuple):
    """One declared column of a model, in `sqlmeta.columnList` order."""
    attr: str                     # the Python attribute (a ForeignKey's is `authorID`; `author` is the object)
    db_name: str                  # sqlmeta's dbName
    type_name: str                # the SQLObject column class: StringCol, ForeignKey, DateTimeCol, Col ...
    default: Any                  # as declared: a value, None (NULL), a callable (called per new row), or NO_DEFAULT
    alternate_id: bool
    not_none: bool
    validator: Any                # the column's formencode validator (SQLObject's own and the declared ones)
    length: int | None = None                      # StringCol(length=...)
    members: tuple | None = None                   # EnumCol's enumValues
    foreign_key: str | None = None                 # ForeignKey: the class named
    column: str | None = None                      # the database column it is, once the table is described
    from_database: bool = False                    # read by SQLObject itself (fromDatabase): not the operator's

    @property
    def initial(self):
        """The value SQLObject would give a new row (a callable default called now); NO_DEFAULT when none."""
        if callable(self.default) and not hasattr(self.default, "__sqlrepr__"):
            return self.default()
        return self.default

    @property
    def default_text(self) -> str | None:
        """The default as the form shows it; None when there is none."""
        if self.default is NO_DEFAULT:
            return None
        if self.default is None:
            return "NULL"
        if callable(self.default) and not hasattr(self.default, "__sqlrepr__"):
            return f"{getattr(self.default, '__qualname__', repr(self.default))}() when a row is made"
        return repr(self.default) if isinstance(self.default, str) else str(self.default)


@dataclass(frozen=True)
class ModelInfo:
    """One model class as the screens use it. *table* is the database table it matched (display name), None when
    none did; *references* come from its ForeignKey columns, *joins* from MultipleJoin (a Reference from the other
    table to this one) and RelatedJoin (a Through)."""
    class_name: str
    table: str | None
    id_name: str
    columns: tuple[ModelColumn, ...]
    references: tuple[Reference, ...] = ()
    joins: tuple[Reference | Through, ...] = ()
    warnings: tuple[str, ...] = ()
    declared_table: str = ""      # sqlmeta.table as written
    checked: bool = False         # compared with the described table (columns, key)
    model: Any = field(default=None, repr=False, compare=False)     # the class: never used to load a row

    def column(self, name: str) -> ModelColumn | None:
        """The model column that is database column *name* (or whose dbName or attribute is *name*)."""
        for by in ("column", "db_name", "attr"):
            for col in self.columns:
                if getattr(col, by) == name:
                    return col
        low = name.lower()
        return next((c for c in self.columns if (c.column or c.db_name).lower() == low), None)


# -- importing ------------------------------------------------------------------------------------------------------
_LOCK = threading.Lock()
_LOADED: dict[str, set[str]] = {}        # module name -> the operator's modules its last import brought in
# Where a traceback's frames are not the operator's: the libraries, the standard library, this file.
_LIBRARIES = tuple(os.path.dirname(m.__file__) + os.sep for m in (sqlobject, formencode, importlib)) + (
    sysconfig.get_paths()["stdlib"] + os.sep, "<frozen", __file__)
_INSTALLED = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)


class _Bound(importlib.abc.Loader):
    """A module's loader that gives the module the open database as `__connection__` before its code runs."""

    def __init__(self, inner, connection):
        self._inner, self._connection = inner, connection

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        module.__connection__ = self._connection
        self._inner.exec_module(module)

    def __getattr__(self, name):            # get_source, get_filename, ...: the real loader's
        return getattr(self._inner, name)


class _BindingFinder(importlib.abc.MetaPathFinder):
    """During the import: every module of the operator's package is made by a _Bound loader."""

    def __init__(self, top: str, connection):
        self._top, self._connection = top, connection

    def find_spec(self, name, path, target=None):
        if name != self._top and not name.startswith(self._top + "."):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Bound(spec.loader, self._connection)
                return spec
        return None


def _shown_path(path: str | None) -> str | None:
    if not path:
        return path
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _where(e: BaseException) -> tuple[str | None, int | None]:
    """The operator's own file and line where *e* was raised: the last frame outside the libraries (and outside
    installed packages, when there is one)."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if not f.filename.startswith(_LIBRARIES)]
    own = [f for f in frames if not any(part in f.filename for part in _INSTALLED)] or frames
    return (own[-1].filename, own[-1].lineno) if own else (None, None)


def _forget(module_name: str) -> None:
    """An earlier import of *module_name* (by this module, or anyone's): its modules and SQLObject classes gone,
    so that importing it again reads the module as it is now, on the connection given now (a class name is
    taken once per class registry)."""
    names = _LOADED.pop(module_name, set()) | {module_name}
    for registry in list(classregistry.MasterRegistry.registries.values()):
        for class_name, cls in list(registry.classes.items()):
            if getattr(cls, "__module__", None) in names:
                del registry.classes[class_name]
                _unhook(registry, cls)
    for name in names:
        sys.modules.pop(name, None)


def _unhook(registry, cls) -> None:
    """Every SQLObject connection ever made with the class's registry got an attribute named after the class
    (DBConnection.soClassAdded, a callback of the registry), and asserts that a new class's name is not one yet:
    the old class's goes."""
    for callback, _args, _kwargs in registry.genericCallbacks:
        conn = getattr(callback, "__self__", None)
        wrapper = vars(conn).get(cls.__name__) if hasattr(conn, "__dict__") else None
        if isinstance(wrapper, ConnWrapper) and wrapper._soClass is cls:
            delattr(conn, cls.__name__)


def _hub_state() -> tuple:
    return sqlhub.__dict__.get("processConnection", NO_DEFAULT), getattr(sqlhub.threadingLocal, "connection",
                                                                         NO_DEFAULT)


def _restore_hub(state: tuple) -> None:
    process, thread = state
    if process is NO_DEFAULT:
        sqlhub.__dict__.pop("processConnection", None)
    else:
        sqlhub.processConnection = process
    if thread is NO_DEFAULT:
        sqlhub.threadingLocal.__dict__.pop("connection", None)
    else:
        sqlhub.threadingLocal.connection = thread


def _import(module_name: str, connection, warnings: list[str]):
    if module_name.endswith(".py") or os.sep in module_name or not all(
            part.isidentifier() for part in module_name.split(".")):
        raise ModelsError(f"models: {module_name!r} is not a module name: give one as package.module, importable "
                          "from the current directory", module=module_name)
    top = module_name.split(".")[0]
    cwd = os.getcwd()
    added = cwd not in sys.path and "" not in sys.path
    finder = _BindingFinder(top, connection)
    hub = _hub_state()
    _forget(module_name)
    before = set(sys.modules)
    if added:
        sys.path.insert(0, cwd)
    sys.meta_path.insert(0, finder)
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as e:
        raise ModelsError(f"models: {module_name}: syntax error in {_shown_path(e.filename)}, line {e.lineno}: "
                          f"{e.msg}", module=module_name, file=e.filename, line=e.lineno) from None
    except ImportError as e:
        prefixes = {".".join(module_name.split(".")[:i]) for i in range(1, module_name.count(".") + 2)}
        if isinstance(e, ModuleNotFoundError) and e.name in prefixes:
            raise ModelsError(f"models: no module named {module_name} (looked in {cwd} and the Python path)",
                              module=module_name) from None
        file, line = _where(e)
        raise ModelsError(f"models: {module_name} could not be imported: {_first_line(e)}"
                          + (f" ({_shown_path(file)}, line {line})" if file else ""),
                          module=module_name, file=file, line=line) from None
    except Exception as e:  # noqa: BLE001 - whatever the module raised: one line, never a traceback
        file, line = _where(e)
        raise ModelsError(f"models: {module_name} failed while it was imported: {type(e).__name__}: "
                          f"{_first_line(e)}" + (f" ({_shown_path(file)}, line {line})" if file else ""),
                          module=module_name, file=file, line=line) from None
    finally:
        sys.meta_path.remove(finder)
        if added:
            sys.path.remove(cwd)
        _LOADED[module_name] = {n for n in set(sys.modules) - before if n == top or n.startswith(top + ".")}
        if _hub_state() != hub:
            _restore_hub(hub)
            warnings.append(f"models: {module_name} set SQLObject's sqlhub: undone (its classes use the open "
                            "database)")
    if getattr(module, "__connection__", connection) is not connection:
        warnings.append(f"models: {module_name} sets __connection__: ignored, its classes use the open database")
    return module


def _classes(module) -> list[type]:
    """The module's SQLObject classes, in the order they were defined (SQLObject's own bases left out)."""
    found: dict[int, type] = {}
    for obj in list(vars(module).values()):          # the module's namespace keeps the order of definition
        if inspect.isclass(obj) and issubclass(obj, SQLObject) and obj.__module__.split(".")[0] != "sqlobject":
            found.setdefault(id(obj), obj)
    return list(found.values())


# -- names, as each engine compares them -------------------------------------------------------------------------------
def _unquoted(name: str) -> tuple[str, bool]:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"`[":
        return name[1:-1], True
    if len(name) >= 2 and name[0] == "[" and name[-1] == "]":
        return name[1:-1], True
    return name, False


class _Names:
    """How the engine matches a name SQLObject puts into SQL unquoted with the names in the catalogue: SQLite and
    MySQL columns ignore case, PostgreSQL folds to lower case, MySQL table names follow lower_case_table_names."""

    def __init__(self, engine: str, tables_ignore_case: bool):
        self.engine, self.tables_ignore_case = engine, tables_ignore_case

    def same(self, declared: str, actual: str, *, table: bool) -> bool:
        name, quoted = _unquoted(declared)
        if name == actual:
            return True
        if quoted:
            return False
        if self.engine == "postgres":
            return name.lower() == actual
        if self.engine == "mysql" and table and not self.tables_ignore_case:
            return False
        return name.lower() == actual.lower()

    def find(self, declared: str, names, *, table: bool):
        """The first of *names* that *declared* names (an exact match first)."""
        names = list(names)
        exact = _unquoted(declared)[0]
        return next((n for n in names if n == exact), None) or next(
            (n for n in names if self.same(declared, n, table=table)), None)


def _engine(connection) -> str:
    return getattr(connection, "dbName", "") or ""


def _tables_ignore_case(connection) -> bool:
    engine = _engine(connection)
    if engine != "mysql":
        return engine != "postgres"
    try:
        return int(connection.queryOne("SELECT @@lower_case_table_names")[0]) != 0
    except Exception:  # noqa: BLE001 - unknown: as on Linux, where table names are case-sensitive
        return False


def _entry_of(item) -> TableEntry:
    if isinstance(item, TableEntry):
        return item
    if isinstance(item, Table):
        return TableEntry(item.name, item.type, schema=item.schema)
    schema, dot, name = str(item).partition(".")
    return TableEntry(name, "table", schema=schema) if dot else TableEntry(str(item), "table")


# -- describing a class ---------------------------------------------------------------------------------------------
def _type_name(so_col) -> str:
    name = type(so_col).__name__
    return name[2:] if name.startswith("SO") and len(name) > 2 else name


def _from_database(cls, so_col, table_col, connection) -> bool:
    """Was this column read by SQLObject's fromDatabase (not declared by the operator)? Such a column is of the
    class SQLObject guesses for the database's type, with the dbName it was read under."""
    if not cls.sqlmeta.fromDatabase or table_col is None or so_col.columnDef is None:
        return False
    try:
        declared = table_col.declared.split(" COLLATE ")[0]         # MySQL's declared types name their collation
        guessed = connection.guessClass(declared.lower() if _engine(connection) == "postgres" else declared)[0]
    except Exception:  # noqa: BLE001 - a type SQLObject cannot guess: the operator declared it
        return False
    return (type(so_col.columnDef) is guessed and so_col.columnDef._kw.get("dbName") == table_col.name)


class _Context:
    """What describing the classes needs: the catalogue, the tables described so far, the engine's name rules."""

    def __init__(self, entries: list[TableEntry], tables: dict[str, Table], names: _Names, connection):
        self.entries, self.tables, self.names, self.connection = entries, tables, names, connection

    def entry(self, declared: str) -> TableEntry | None:
        name, quoted = _unquoted(declared)
        schema = None
        if not quoted and "." in name:
            schema, name = (_unquoted(p)[0] for p in name.split(".", 1))
        candidates = [e for e in self.entries if schema is None or e.schema is None or e.schema == schema]
        found = self.names.find(name if schema is not None else declared, [e.name for e in candidates], table=True)
        return next((e for e in candidates if e.name == found), None) if found is not None else None

    def column(self, display: str | None, declared: str) -> tuple[Table | None, str | None]:
        """(the described table, the name of its column that *declared* names); (None, None) before it is
        described."""
        table = self.tables.get(display) if display else None
        if table is None:
            return None, None
        return table, self.names.find(declared, table.column_names, table=False)


def _describe(cls, ctx: _Context, claimed: dict[str, str]) -> ModelInfo:
    meta = cls.sqlmeta
    name = cls.__name__
    warnings: list[str] = []
    entry = ctx.entry(meta.table)
    display = entry.display if entry is not None else None
    table = ctx.tables.get(display) if display else None
    if entry is None:
        warnings.append(f"models: {name}: table {meta.table} is not in the database")
    elif display in claimed and claimed[display] != name:
        warnings.append(f"models: {name}: table {display} is {claimed[display]}'s already: {name} is not used")
    id_column = meta.idName
    if table is not None:
        found = ctx.names.find(meta.idName, table.column_names, table=False)
        if found is None:
            warnings.append(f"models: {name}: idName {meta.idName} is not a column of table {display}")
        else:
            id_column = found
            if table.type == "table" and tuple(table.primary_key) != (found,):
                key = ", ".join(table.primary_key) if table.primary_key else "none"
                warnings.append(f"models: {name}: idName {meta.idName} is not the primary key of table {display} "
                                f"(its key: {key})")
    columns: list[ModelColumn] = []
    references: list[Reference] = []
    for so_col in meta.columnList:
        actual = None
        table_col = None
        if table is not None:
            actual = ctx.names.find(so_col.dbName, table.column_names, table=False)
            if actual is None:
                warnings.append(f"models: {name}: column {so_col.name} (dbName {so_col.dbName}) is not in table "
                                f"{display}")
            else:
                table_col = table.column(actual)
        from_db = _from_database(cls, so_col, table_col, ctx.connection)
        default = NO_DEFAULT if so_col._default is sqlbuilder.NoDefault else so_col._default
        members = getattr(so_col, "enumValues", None)
        columns.append(ModelColumn(
            attr=so_col.name, db_name=so_col.dbName, type_name=_type_name(so_col),
            default=NO_DEFAULT if from_db else default, alternate_id=bool(so_col.alternateID),
            # fromDatabase's notNone is inverted on SQLite (it reads PRAGMA table_info's notnull as "null allowed"):
            # the table says.
            not_none=(not table_col.nullable) if from_db else bool(so_col.notNone), validator=so_col.validator,
            length=so_col.length if isinstance(so_col, SOStringLikeCol) else None,    # IntCol's: a display width
            members=tuple(members) if members is not None else None, foreign_key=so_col.foreignKey or None,
            column=actual, from_database=from_db))
        if so_col.foreignKey:
            ref = _foreign_key(cls, so_col, actual, display, ctx, warnings)
            if ref is not None:
                references.append(ref)
    joins: list[Reference | Through] = []
    for join in meta.joins:
        made = _join(cls, join, display, id_column, ctx, warnings)
        if made is not None:
            joins.append(made)
    return ModelInfo(class_name=name, table=display, id_name=id_column, columns=tuple(columns),
                     references=tuple(references), joins=tuple(joins), warnings=tuple(dict.fromkeys(warnings)),
                     declared_table=meta.table, checked=table is not None, model=cls)


def _other_class(cls, class_name: str):
    try:
        return classregistry.findClass(class_name, cls.sqlmeta.registry)
    except KeyError:
        return None


def _key_of(other, ctx: _Context) -> tuple[str | None, str]:
    """(display name, key column) of the table of class *other*."""
    entry = ctx.entry(other.sqlmeta.table)
    display = entry.display if entry is not None else None
    _, found = ctx.column(display, other.sqlmeta.idName)
    return display, found or other.sqlmeta.idName


def _foreign_key(cls, so_col, actual, display, ctx, warnings) -> Reference | None:
    name = cls.__name__
    other = _other_class(cls, so_col.foreignKey)
    if other is None:
        warnings.append(f"models: {name}: column {so_col.name}: ForeignKey('{so_col.foreignKey}') names no class "
                        "of the module")
        return None
    target, key = _key_of(other, ctx)
    if display is None or target is None:
        return None
    if getattr(so_col, "refColumn", None):
        _, found = ctx.column(target, so_col.refColumn)
        key = found or so_col.refColumn
    return Reference(display, (actual or so_col.dbName,), target, (key,), f"{name}.{so_col.foreignName or so_col.name}")


def _join(cls, join, display, id_column, ctx: _Context, warnings) -> Reference | Through | None:
    name = cls.__name__
    label = f"{name}.{join.joinMethodName}"
    other = getattr(join, "otherClass", None)
    if other is None:
        warnings.append(f"models: {name}: join {join.joinMethodName}: {join.otherClassName} names no class of the "
                        "module")
        return None
    other_display, other_key = _key_of(other, ctx)
    if display is None or other_display is None:
        return None
    if not join.hasIntermediateTable():
        # MultipleJoin (and SingleJoin): the other table's joinColumn holds this table's key.
        other_table, found = ctx.column(other_display, join.joinColumn)
        if other_table is not None and found is None:
            warnings.append(f"models: {name}: join {join.joinMethodName}: column {join.joinColumn} is not in table "
                            f"{other_display}")
            return None
        return Reference(other_display, (found or join.joinColumn,), display, (id_column,), label)
    inter = ctx.entry(join.intermediateTable)
    if inter is None:
        warnings.append(f"models: {name}: join {join.joinMethodName}: table {join.intermediateTable} is not in the "
                        "database")
        return None
    columns = []
    for declared in (join.joinColumn, join.otherColumn):
        inter_table, found = ctx.column(inter.display, declared)
        if inter_table is not None and found is None:
            warnings.append(f"models: {name}: join {join.joinMethodName}: column {declared} is not in table "
                            f"{inter.display}")
            return None
        columns.append(found or declared)
    return Through(label, display, inter.display,
                   Reference(inter.display, (columns[0],), display, (id_column,), label),
                   Reference(inter.display, (columns[1],), other_display, (other_key,), label),
                   other_display)


# -- the set --------------------------------------------------------------------------------------------------------
@dataclass
class ModelSet:
    """The models of one module for one open database."""
    module: str
    file: str | None
    models: list[ModelInfo]
    notes: list[str]                              # about the module itself (sqlhub or __connection__ it set)
    _context: _Context = field(repr=False)
    _classes: list[type] = field(repr=False)

    @property
    def warnings(self) -> list[str]:
        """Every mismatch, one line each: the module's, then each model's."""
        return self.notes + [w for m in self.models for w in m.warnings]

    def for_table(self, display: str) -> ModelInfo | None:
        """The model of table *display*, None when no class matched it."""
        return next((m for m in self.models if m.table == display), None)

    def by_class(self, class_name: str) -> ModelInfo | None:
        return next((m for m in self.models if m.class_name == class_name), None)

    @property
    def tables(self) -> list[str]:
        """The tables that the models name (theirs, their joins' and their references'), to describe."""
        names: dict[str, None] = {}
        for m in self.models:
            if m.table is not None:
                names[m.table] = None
            for rel in (*m.references, *m.joins):
                for t in ((rel.table, rel.intermediate, rel.target) if isinstance(rel, Through)
                          else (rel.table, rel.target)):
                    names[t] = None
        return list(names)

    def check(self, *tables: Table) -> ModelSet:
        """Compare the models with these described tables (columns, key, joins): pure, on any thread."""
        for table in tables:
            self._context.tables[table.display] = table
        self.models = _describe_all(self._classes, self._context)
        return self

    def references_to(self, display: str) -> list[Reference]:
        """The models' references that point at rows of *display*: other models' ForeignKey columns and this
        table's MultipleJoins (once each); those the database declares are in Database.referencing too."""
        found: dict[tuple, Reference] = {}
        for m in self.models:
            for ref in (*m.references, *m.joins):
                if isinstance(ref, Reference) and ref.target == display:
                    found.setdefault((ref.table, ref.columns, ref.target_columns), ref)
        return list(found.values())

    def entry(self, display: str) -> TableEntry | None:
        return next((e for e in self._context.entries if e.display == display), None)


def _describe_all(classes: list[type], ctx: _Context) -> list[ModelInfo]:
    claimed: dict[str, str] = {}
    infos = []
    for cls in classes:
        info = _describe(cls, ctx, claimed)
        if info.table is not None:
            claimed.setdefault(info.table, info.class_name)
        infos.append(info)
    return infos


def load_models(module_name: str, connection, tables, *, describe=None) -> ModelSet:
    """Import the operator's module *module_name* (in a worker thread: fromDatabase classes query the database),
    bind its SQLObject classes to *connection* and match them to *tables* (TableEntry, Table or display names, in
    the catalogue's order). *describe(display) -> Table*, when given, describes each table the models name for
    the column checks (else pass Tables, or call ModelSet.check later). ModelsError: one line, when the module
    cannot be imported or has no SQLObject classes."""
    with _LOCK:
        notes: list[str] = []
        module = _import(module_name, connection, notes)
        file = getattr(module, "__file__", None)
        classes = _classes(module)
        if not classes:
            raise ModelsError(f"models: {module_name} ({_shown_path(file)}) defines no SQLObject classes",
                              module=module_name, file=file)
        for cls in classes:
            own = cls.__dict__.get("_connection")
            if own is not None and own is not connection:
                notes.append(f"models: {cls.__name__}: its own _connection is ignored: it uses the open database")
            cls.setConnection(connection)
        entries = [_entry_of(t) for t in tables]
        described = {t.display: t for t in tables if isinstance(t, Table)}
        ctx = _Context(entries, described, _Names(_engine(connection), _tables_ignore_case(connection)), connection)
        # A class that only others derive from, whose table is not there, is a base, not a model (SQLObject has
        # no abstract classes).
        bases = {b for c in classes for b in c.__mro__[1:]}
        classes = [c for c in classes if not (c in bases and ctx.entry(c.sqlmeta.table) is None)]
        model_set = ModelSet(module_name, file, _describe_all(classes, ctx), notes, ctx, classes)
        if describe is not None:
            read = []
            for name in model_set.tables:
                if name in described:
                    continue
                try:
                    read.append(describe(name))
                except Cancelled:
                    raise
                except Exception as e:  # noqa: BLE001 - that table is not checked; the others are
                    notes.append(f"models: table {name} could not be read: {_first_line(e)}")
            model_set.check(*read)
        return model_set


def load(db, module_name: str):
    """In *db*'s worker threads: read the catalogue, load the models, describe the tables they name; a Deferred
    of the ModelSet (ModelsError for a broken module)."""
    def run(job):
        entries = db.tables.in_thread(db, job)
        job.check()
        return load_models(module_name, db.connection, entries,
                           describe=lambda name: db.describe.in_thread(db, job, name))
    return db.worker.submit(f"load the models of {module_name}", run)


# -- navigating a RelatedJoin ---------------------------------------------------------------------------------------
def through_condition(models: ModelSet, through: Through, values, dialect) -> Condition:
    """A filter of the target table (storage.filters.Condition, for a paging.View) keeping the rows that the
    intermediate table pairs with the row of *through.table* whose key is *values*."""
    entry = models.entry(through.intermediate)
    inter = dialect.table(entry.schema, entry.name) if entry is not None else dialect.quote(through.intermediate)
    (key,), (other,), (join,) = through.other.target_columns, through.other.columns, through.join.columns
    (value,) = tuple(values)
    q = dialect.quote
    return Condition(key, f"{q(key)} IN (SELECT {q(other)} FROM {inter} WHERE {q(join)} = ?)", (value,),
                     f"{through.name} of {through.table} {value}")


# -- validating a value ---------------------------------------------------------------------------------------------
def _validators(v) -> list:
    out = [v]
    for inner in getattr(v, "validators", None) or ():
        out.extend(_validators(inner))
    return out


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _number(value) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


_MOMENTS = (SODateTimeCol, SODateCol, SOTimeCol)


def _through_validator(info: ModelInfo, so_col, value) -> str | None:
    """The validator's verdict on *value*: from_python (the application setting it), then to_python (the
    application reading back what the database holds); nothing it returns is kept."""
    validator = so_col.validator
    if validator is None:
        return None
    state = sqlbuilder.SQLObjectState(info.model, connection=info.model._connection)
    kept = [(v, dict(v.__dict__)) for v in _validators(validator)]      # caches (a BLOB's) and the like
    try:
        try:
            stored = validator.from_python(value, state)
        except formencode.Invalid as e:
            if not (isinstance(value, str) and isinstance(so_col, _MOMENTS)):
                return f"the model refuses {_shown(value)}: {_first_line(e)}"
            # SQLite keeps dates and times as text, and rowdesk writes them as text: the application reads that
            # text back through to_python. Can it?
            stored = value
        try:
            back = validator.to_python(stored, state)
        except formencode.Invalid as e:
            return f"the model refuses {_shown(value)}: {_first_line(e)}"
        if _number(value) and _number(back) and back != value:
            return f"the model's {_type_name(so_col)} would make {_shown(value)} {_shown(back)}"
    except Exception as e:  # noqa: BLE001 - the operator's validator failed: said, not raised into the form
        return f"the model's validator failed on {_shown(value)}: {type(e).__name__}: {_first_line(e)}"
    finally:
        for v, state_dict in kept:
            v.__dict__.clear()
            v.__dict__.update(state_dict)
    return None


def _declared_limits(so_col, value) -> str | None:
    """What SQLObject declares and never checks: a StringCol's length, a DecimalCol's size and precision."""
    length = so_col.length if isinstance(so_col, SOStringLikeCol) else None
    if isinstance(length, int) and isinstance(value, (str, bytes)) and len(value) > length:
        unit = "characters" if isinstance(value, str) else "bytes"
        return (f"{len(value)} {unit} is too long: the model's {_type_name(so_col)}(length={length}) holds "
                f"{length}")
    size, precision = getattr(so_col, "size", None), getattr(so_col, "precision", None)
    if isinstance(size, int) and isinstance(precision, int) and isinstance(value, (int, str, decimal.Decimal)) \
            and not isinstance(value, bool):
        try:
            d = decimal.Decimal(value)
        except decimal.InvalidOperation:
            return None
        if not d.is_finite():
            return None
        places = max(-d.as_tuple().exponent, 0)
        whole = max(d.adjusted() + 1, 0) if d else 0
        kind = f"the model's {_type_name(so_col)}(size={size}, precision={precision})"
        if places > precision:
            return f"{value} has {places} decimal places: {kind} keeps {precision}"
        if whole > size - precision:
            return f"{value} has {whole} digits before the point: {kind} holds {size - precision}"
    return None


def validate(info: ModelInfo, column_name: str, value) -> str | None:
    """One line saying why the model *info* does not accept *value* (as rowdesk would write it) for column
    *column_name* (the database column, or the model's dbName or attribute); None when it does or the model does
    not declare the column. Validation only: the value written stays exactly *value*."""
    col = info.column(column_name)
    if col is None or info.model is None:
        return None
    so_col = info.model.sqlmeta.columns.get(col.attr)
    if so_col is None:
        return None
    label = f"{info.class_name}.{col.attr}"
    if value is None:
        if col.alternate_id:
            return f"{label}: cannot be NULL (an alternateID column of the model)"
        if col.not_none:
            why = "NOT NULL in the table" if col.from_database else "notNone in the model"
            return f"{label}: cannot be NULL ({why})"
        return None
    problem = _through_validator(info, so_col, value) or _declared_limits(so_col, value)
    return f"{label}: {problem}" if problem else None
