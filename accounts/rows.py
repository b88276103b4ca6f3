"""Rows of the hot paths (the token endpoint's, the login's), read and written with SQL built
once per process.

A refresh or a code exchange reads one row with its user and session; a login reads its user
and writes its session and audit event. Built by the ORM per request, such a statement cost more
CPU than PostgreSQL's own work on it (compiling the joins and the column list each time); here
the statement is put together once from the models' metadata, and the rows are turned into model
instances as the ORM would (``Model.from_db`` and the database's converters), with the related
instances already attached.
"""

from contextlib import contextmanager
from functools import cache

from django.db import connections, transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, post_save, pre_init

_ALIASES = "abcdefgh"


@contextmanager
def cursor(using: str = "default"):
    """A cursor for the statements of this module: on PostgreSQL with prepared statements on
    (settings.py, ``prepare_threshold``), its parameters are bound by the server, so that psycopg
    prepares each statement on the connection once it has run a few times and PostgreSQL stops
    parsing and planning it per request. Otherwise Django's cursor, which binds them itself.
    Either way the cursor is Django's wrapper: the query deadline (authserver/query_deadline.py),
    the error translation and the query log of tests apply.

    The server-binding cursor is kept with its connection and used again by the next statement
    (a statement or two per request: making and closing a cursor for each cost a fifth of a
    prepared lookup's CPU in the worker)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or (
        connection.settings_dict["OPTIONS"].get("prepare_threshold") is None
    ):
        with connection.cursor() as statement:
            yield statement
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        statement = connection._prepare_cursor(_kept_cursor(connection))
    yield statement


def _kept_cursor(connection):
    """This connection's server-binding cursor, made once per database connection (Django
    connections are per thread, and a new database connection gets a new cursor)."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    kept = getattr(connection, _KEPT, None)
    if kept is None or kept.connection is not connection.connection:
        kept = ServerBindingCursor(connection.connection)
        setattr(connection, _KEPT, kept)
    return kept


_KEPT = "_authserver_kept_cursor"


class JoinedSelect:
    """``SELECT`` of ``model`` (its fields ``only``, or all) and the rows its foreign keys
    ``related`` point to (LEFT JOINed, so a null key gives None), filtered by ``where``, which
    names the tables ``a`` (the model) and ``b``, ``c``... (the related, in order); at most one
    row."""

    def __init__(self, model, related: tuple[str, ...], where: str, *, only=None, deferred=None):
        self.model = model
        self.related = related
        self.where = where
        # The model's fields to read; None for all.
        self.only = only
        # For some of ``related``, the fields left unread: deferred, as the ORM's ``defer``
        # leaves them, each read from the database if it is ever used.
        self.deferred = deferred or {}

    def one(self, params, using: str = "default"):
        connection = connections[using]
        sql, parts = _compiled(self, connection.vendor)
        with cursor(using) as statement:
            statement.execute(sql, params)
            row = statement.fetchone()
        if row is None:
            return None
        instances = []
        for model, attnames, start, converters in parts:
            values = list(row[start : start + len(attnames)])
            if values[0] is None:
                instances.append(None)  # LEFT JOIN without a match: its key was null
                continue
            for index, expression, functions in converters:
                for function in functions:
                    values[index] = function(values[index], expression, connection)
            instances.append(_from_db(model, using, attnames, values))
        record = instances[0]
        for name, instance in zip(self.related, instances[1:], strict=True):
            self.model._meta.get_field(name).set_cached_value(record, instance)
        return record


def _from_db(model, using: str, attnames, values):
    """``model.from_db(using, attnames, values)``: an instance as the ORM makes one of a row.

    ``Model.__init__`` sets each field through its descriptor and sends ``pre_init`` and
    ``post_init``; for a row just read, with nothing listening and neither ``__init__`` nor
    ``from_db`` overridden, that comes to the attributes below (for the three instances of a
    bearer token's lookup, 100 thousand instructions fewer of the lookup's 525 thousand,
    docs/performance.md step 33). Otherwise, the ORM's own way."""
    if not _plain(model) or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db(using, attnames, values)
    instance = model.__new__(model)
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = using
    instance.__dict__.update(zip(attnames, values, strict=True))
    return instance


@cache
def _plain(model) -> bool:
    return model.__init__ is Model.__init__ and model.from_db.__func__ is Model.from_db.__func__


@cache
def _compiled(select: JoinedSelect, vendor: str):
    quote = connections["default"].ops.quote_name
    models = [select.model] + [
        select.model._meta.get_field(name).related_model for name in select.related
    ]
    columns, parts, start = [], [], 0
    names = (None, *select.related)
    for alias, model, name in zip(_ALIASES[: len(models)], models, names, strict=True):
        fields = list(model._meta.concrete_fields)
        if name is None and select.only is not None:
            fields = [field for field in fields if field.primary_key or field.name in select.only]
        if name in select.deferred:
            fields = [field for field in fields if field.name not in select.deferred[name]]
        columns += [f"{alias}.{quote(field.column)}" for field in fields]
        attnames = [field.attname for field in fields]
        parts.append((model, attnames, start, _converters(fields, vendor)))
        start += len(fields)
    joins = "".join(
        f" LEFT JOIN {quote(model._meta.db_table)} {alias}"
        f" ON {alias}.{quote(model._meta.pk.column)}"
        f" = a.{quote(select.model._meta.get_field(name).column)}"
        for alias, name, model in zip(
            _ALIASES[1 : len(models)], select.related, models[1:], strict=True
        )
    )
    # Names from the models' metadata and a constant condition; the values are parameters.
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(select.model._meta.db_table)} a{joins}"  # noqa: S608
        f" WHERE {select.where} LIMIT 1"
    )
    return sql, parts


def _converters(fields, vendor: str) -> list:
    """For each field the database's value needs converting for (a UUID or a datetime from
    SQLite, JSON): its position, its column expression and the converters, as the ORM's
    compiler applies them."""
    connection = connections["default"]
    found = []
    for index, field in enumerate(fields):
        expression = field.get_col(field.model._meta.db_table)
        functions = [
            *connection.ops.get_db_converters(expression),
            *field.get_db_converters(connection),
        ]
        if functions:
            found.append((index, expression, functions))
    return found


def insert(instance, using: str = "default", *, after: tuple[str, list] | None = None) -> int:
    """INSERT ``instance``'s row, its fields prepared as ``save`` prepares them (``auto_now``
    included); its primary key is left unread. The number of rows written.

    ``after``: a data-modifying statement with ``RETURNING`` and its parameters (PostgreSQL):
    both run as one statement, and the row is written once for each row that one returned, so
    not at all if it changed none."""
    params = _insert_params(instance, using)
    if after is None:
        return execute(_insert_statement(type(instance)), params, using)
    first, first_params = after
    return execute(_insert_after(type(instance), first), [*first_params, *params], using)


def create(instance, using: str = "default"):
    """INSERT ``instance`` as ``Model.objects.create`` would (its primary key read back, then
    ``post_save`` sent, so that receivers see it), from a statement built once per model."""
    _insert_returning_key(instance, using)
    _announce(instance, using)
    return instance


def create_all(*instances, using: str = "default") -> None:
    """``create`` each of ``instances``, all or none: on PostgreSQL in one statement (one round
    trip and one commit, where one per row was each its own transaction), elsewhere in one
    transaction. ``post_save`` is sent for each, in order, once all are written."""
    if connections[using].vendor != "postgresql":
        with transaction.atomic(using=using):
            for instance in instances:
                _insert_returning_key(instance, using)
    else:
        params = [param for instance in instances for param in _insert_params(instance, using)]
        with cursor(using) as statement:
            statement.execute(_insert_all(tuple(type(instance) for instance in instances)), params)
            keys = statement.fetchone()
        for instance, pk in zip(instances, keys, strict=True):
            _written(instance, pk, using)
    for instance in instances:
        _announce(instance, using)


def _insert_returning_key(instance, using: str) -> None:
    with cursor(using) as statement:
        statement.execute(_insert_returning(type(instance)), _insert_params(instance, using))
        _written(instance, statement.fetchone()[0], using)


def _written(instance, pk, using: str) -> None:
    """``instance`` as the ORM leaves a row it has just inserted."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = using


def _announce(instance, using: str) -> None:
    post_save.send(
        sender=type(instance),
        instance=instance,
        created=True,
        update_fields=None,
        raw=False,
        using=using,
    )


def _insert_params(instance, using: str) -> list:
    """The row's values, each field prepared as ``save`` prepares it (``auto_now`` included)."""
    connection = connections[using]
    return [
        field.get_db_prep_save(field.pre_save(instance, True), connection)
        for field in _fields(type(instance))
    ]


@cache
def _insert_returning(model) -> str:
    pk = connections["default"].ops.quote_name(model._meta.pk.column)
    return f"{_insert_statement(model)} RETURNING {pk}"


@cache
def _insert_all(models: tuple) -> str:
    """One statement inserting a row of each of ``models`` (PostgreSQL's data-modifying WITH),
    answering their primary keys in order."""
    aliases = [f"row{index}" for index in range(len(models))]
    inserts = ", ".join(
        f"{alias} AS ({_insert_returning(model)})"
        for alias, model in zip(aliases, models, strict=True)
    )
    # Aliases of our own and names from the models' metadata; the values are parameters.
    keys = ", ".join(f"(SELECT * FROM {alias})" for alias in aliases)  # noqa: S608
    return f"WITH {inserts} SELECT {keys}"


@cache
def _fields(model) -> list:
    return [field for field in model._meta.concrete_fields if field is not model._meta.auto_field]


@cache
def _columns(model) -> str:
    quote = connections["default"].ops.quote_name
    return ", ".join(quote(field.column) for field in _fields(model))


@cache
def _insert_statement(model) -> str:
    placeholders = ", ".join(["%s"] * len(_fields(model)))
    return f"INSERT INTO {table(model)} ({_columns(model)}) VALUES ({placeholders})"  # noqa: S608


@cache
def _insert_after(model, first: str) -> str:
    placeholders = ", ".join(["%s"] * len(_fields(model)))
    return (
        f"WITH first AS ({first}) INSERT INTO {table(model)} ({_columns(model)})"  # noqa: S608
        f" SELECT {placeholders} FROM first"
    )


def execute(sql: str, params, using: str = "default") -> int:
    """Run one statement; the number of rows it changed."""
    with cursor(using) as statement:
        statement.execute(sql, params)
        return statement.rowcount


def value(model, name: str, python_value, using: str = "default"):
    """``python_value`` as the database takes it for ``model``'s field ``name`` (a UUID is text
    on SQLite, an aware datetime naive UTC there)."""
    field = model._meta.get_field(name)
    return field.get_db_prep_value(python_value, connections[using], prepared=False)


def table(model) -> str:
    return connections["default"].ops.quote_name(model._meta.db_table)
