"""CSV exports for committee papers: the current ranking, a published plan, the backlog with
its filters applied, and a companion method file saying how the ranking was made.

Files are RFC 4180 (csv module, excel dialect: quoted where needed, CRLF line ends) in UTF-8
with a byte order mark, so Excel on Windows opens them with £ and Welsh letters intact.
Text cells are neutralised against spreadsheet injection (csv_safety.neutralise); numeric
columns are written as plain numbers and never prefixed, so `-2` stays a number.

Rows stream from one database query: scores and dependencies arrive as aggregated strings
from correlated subqueries (parametrised ORM expressions, no raw SQL), and the delivery plan's
Horizon, Quarters and Why come from the run's stored entry in the same row, so the query count
is the same for ten rows or a hundred thousand, and only a chunk of rows is held at a time.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any
from urllib.parse import quote

from django.db import connections, transaction
from django.db.models import (
    CharField,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Collate, Length
from django.utils import timezone

from councils.models import Council
from planner import committee, plans, rank_ranges, ranking
from planner.csv_safety import neutralise
from planner.delivery import QuarterNamer
from planner.models import (
    BacklogItem,
    Criterion,
    ExportRecord,
    Method,
    PublishedPlan,
    RankingRun,
    Stage,
    Status,
)
from planner.quarters import HORIZON_LABELS
from planner.scoring import METHOD_FORMULAS

RANK = "Rank"
REFERENCE = "Reference"
TITLE = "Title"
THEME = "Theme"
STATUS = "Status"
SCORE = "Score"
EFFORT = "Effort (team-days)"
ONE_OFF_COST = "One-off cost (£)"
RECURRING_COST = "Recurring cost (£)"
HORIZON = "Horizon"
QUARTERS = "Quarters"
WHY = "Why"
DEPENDS_ON = "Depends on"
OWNER = "Owner"
STAGE = "Delivery stage"
PROBLEM = "Problem statement"
RANK_RANGE = "Rank range"
STABILITY = "Stability"
COLUMNS_BEFORE_CRITERIA = (RANK, REFERENCE, TITLE, THEME, STATUS, SCORE)
COLUMNS_AFTER_CRITERIA = (
    EFFORT,
    ONE_OFF_COST,
    RECURRING_COST,
    HORIZON,
    QUARTERS,
    WHY,
    DEPENDS_ON,
    OWNER,
    STAGE,
    PROBLEM,
    RANK_RANGE,
    STABILITY,
    *committee.COMMITTEE_HEADERS,
)
DEPENDENCY_SEPARATOR = ";"
SCORE_PREFIX = "Score: "
BOM = "\ufeff"
# Rows per streamed chunk: big enough that per-chunk overhead vanishes, small enough that
# memory stays a few hundred kilobytes whatever the row count.
ROWS_PER_CHUNK = 1_000
DB_CHUNK_SIZE = 2_000

STATUS_LABELS = dict(Status.choices)
STAGE_LABELS = dict(Stage.choices)
METHOD_LABELS = dict(Method.choices)
# Labels of the committee columns with choices: {field: {key: label}}.
COMMITTEE_CHOICE_LABELS = {
    column.field: committee.choice_labels(column.choices)
    for column in committee.COMMITTEE_COLUMNS
    if column.choices is not None
}


@dataclass(frozen=True)
class CsvExport:
    filename: str
    chunks: Iterator[bytes]


def header(criteria: Iterable[Criterion | str]) -> list[str]:
    names = [criterion_heading(c if isinstance(c, str) else c.name) for c in criteria]
    return [*COLUMNS_BEFORE_CRITERIA, *names, *COLUMNS_AFTER_CRITERIA]


def criterion_heading(name: str) -> str:
    """A criterion's column: its name, prefixed "Score: " when a fixed column has that name
    (a criterion called "Status"), so the export always imports back."""
    fixed = {column.casefold() for column in (*COLUMNS_BEFORE_CRITERIA, *COLUMNS_AFTER_CRITERIA)}
    return SCORE_PREFIX + name if name.strip().casefold() in fixed else name


def export_filename(council: Council, what: str, extension: str = "csv") -> str:
    return f"{council.slug}-{what}-{timezone.localdate():%Y-%m-%d}.{extension}"


def content_disposition(filename: str) -> str:
    """`attachment` with a plain ASCII filename and the exact name as RFC 5987 filename*."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in ascii_name)
    ascii_name = ascii_name or "export.csv"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


class _LineBuffer:
    """A file-like sink for csv.writer that keeps the written text until taken."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> bytes:
        data = "".join(self.parts).encode("utf-8")
        self.parts.clear()
        return data


def csv_chunks(head: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """Encode a header and rows as UTF-8-with-BOM CSV, in chunks of ROWS_PER_CHUNK rows.

    One writerows call and one encode per chunk; the C csv writer is most of the Python time
    (about 0.25 s per 100,000 rows), and only one chunk of rows is held at a time."""
    buffer = _LineBuffer()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([neutralise(name) for name in head])
    rows = iter(rows)
    while batch := list(islice(rows, ROWS_PER_CHUNK)):
        writer.writerows(batch)
        yield buffer.take()
    if buffer.parts:
        yield buffer.take()


def _number(value: Decimal | int | None) -> str:
    return "" if value is None else str(value)


def _text(value: str | None) -> str:
    return neutralise(value) if value else ""


def rank_range_text(low: int | None, high: int | None) -> str:
    """The 5th-95th percentile rank interval as "3–7"; blank until it is worked out."""
    return "" if low is None or high is None else f"{low}–{high}"


# --- Live exports: the current ranking and the backlog ------------------------------------


def _with_scores_and_dependencies(
    items: QuerySet[BacklogItem], criteria: list[Criterion], *, ordered: bool = False
) -> tuple[QuerySet[BacklogItem], list[str]]:
    """Annotate one score column per criterion and a "DIG-001;DIG-002" dependency string.

    Each criterion's score is a LEFT JOIN on the unique (item, criterion) pair through a
    FilteredRelation, so the database hands back plain integers in one pass; the
    dependencies are aggregated by a correlated subquery, `ordered` (PostgreSQL) in the
    export's order, (length, text) in the C collation, as _sorted_references sorts them.
    Returns the queryset and the score column names, in criterion order."""
    score_columns = []
    joins: dict[str, Any] = {}
    for index, criterion in enumerate(criteria):
        relation = f"export_criterion_{index}"
        joins[relation] = FilteredRelation("scores", condition=Q(scores__criterion_id=criterion.pk))
        score_columns.append(f"{relation}__value")
    through = BacklogItem.depends_on.through
    reference = "to_backlogitem__reference"
    order_by = (Length(reference), Collate(reference, "C")) if ordered else None
    dependencies = (
        through.objects.filter(from_backlogitem=OuterRef("pk"))
        .order_by()
        .values("from_backlogitem")
        .annotate(
            joined=StringAgg(reference, delimiter=Value(DEPENDENCY_SEPARATOR), order_by=order_by)
        )
        # django-stubs cannot see an annotation made after values(): "joined" is one.
        .values("joined")  # type: ignore[misc]
    )
    annotated = items.annotate(
        **joins, export_dependencies=Subquery(dependencies, output_field=CharField())
    )
    return annotated, score_columns


def _ward_names(council: Council, *, ordered: bool) -> Any:
    """Each item's ward names, "Abbey; Castle" in the C collation's order, by a correlated
    subquery; a NULL constant when none of the council's items names a ward (one EXISTS
    query), which spares the many councils that do not record wards ~0.5 s per 100,000 rows
    (docs/performance.md)."""
    through = BacklogItem.wards.through.objects
    if not through.filter(ward__council=council).exists():
        return Value(None, output_field=CharField())
    ward_name = "ward__name"
    wards = (
        through.filter(backlogitem=OuterRef("pk"))
        .order_by()
        .values("backlogitem")
        .annotate(
            joined=StringAgg(
                ward_name,
                delimiter=Value(committee.WARD_SEPARATOR),
                order_by=Collate(ward_name, "C") if ordered else None,
            )
        )
        .values("joined")  # type: ignore[misc]
    )
    return Subquery(wards, output_field=CharField())


_ITEM_FIELDS = (
    "reference",
    "title",
    "theme__name",
    "status",
    "effort_days",
    "one_off_cost",
    "recurring_cost",
    "owner",
    "stage",
    "problem",
    "export_dependencies",
    # The committee columns, in committee.COMMITTEE_COLUMNS order (wards take two).
    "all_wards",
    "export_wards",
    "directorate__name",
    "key_decision",
    "exempt_paragraph",
    "eqia_status",
    "dpia_status",
    "one_off_funding",
    "recurring_funding",
    "funding_source",
    "risk_rating",
    "risk_description",
    "cashable_savings",
    "non_cashable_benefits",
)


def _item_rows(values: Iterable[tuple[Any, ...]], namer: QuarterNamer) -> Iterator[list[Any]]:
    """Rows from values_list tuples of (*entry fields, *_ITEM_FIELDS, *criterion scores),
    the entry fields being rank, score, horizon, start and end quarter, why, and the rank
    range's low, high and stability.

    Numbers go to the csv writer as they are (it writes None as an empty cell), so they
    are never prefixed; only text passes through neutralise. This is the hot loop."""
    status_labels = STATUS_LABELS
    stage_labels = STAGE_LABELS
    horizon_labels = HORIZON_LABELS
    assessment_labels = COMMITTEE_CHOICE_LABELS["eqia_status"]
    funding_labels = COMMITTEE_CHOICE_LABELS["one_off_funding"]
    risk_labels = COMMITTEE_CHOICE_LABELS["risk_rating"]
    safe = neutralise
    spans: dict[tuple[int | None, int | None], str] = {}  # a few dozen at most
    for (
        rank,
        score,
        horizon,
        start,
        end,
        why,
        low,
        high,
        stability,
        reference,
        title,
        theme,
        status,
        effort,
        one_off,
        recurring,
        owner,
        stage,
        problem,
        dependencies,
        all_wards,
        wards,
        directorate,
        key_decision,
        exempt_paragraph,
        eqia,
        dpia,
        one_off_funding,
        recurring_funding,
        funding_source,
        risk,
        risk_description,
        cashable_savings,
        non_cashable_benefits,
        *scores,
    ) in values:
        quarters = spans.get((start, end))
        if quarters is None:
            quarters = spans[start, end] = namer.span(start, end)
        yield [
            rank,
            reference,
            safe(title),
            safe(theme),
            status_labels.get(status, status),
            score,
            *scores,
            effort,
            one_off,
            recurring,
            horizon_labels.get(horizon, "") if horizon else "",
            quarters,
            safe(why) if why else "",
            _sorted_references(dependencies) if dependencies else "",
            safe(owner),
            stage_labels.get(stage, stage),
            safe(problem),
            rank_range_text(low, high),
            stability or "",
            committee.ALL_WARDS if all_wards else (safe(wards) if wards else ""),
            safe(directorate) if directorate else "",
            committee.YES if key_decision else committee.NO,
            exempt_paragraph,
            assessment_labels.get(eqia, eqia),
            assessment_labels.get(dpia, dpia),
            funding_labels.get(one_off_funding, one_off_funding),
            funding_labels.get(recurring_funding, recurring_funding),
            safe(funding_source),
            risk_labels.get(risk, risk),
            safe(risk_description),
            cashable_savings,
            safe(non_cashable_benefits),
        ]


def _stream(values: QuerySet) -> Iterator[tuple[Any, ...]]:
    """Iterate a values_list queryset from a server-side cursor, DB_CHUNK_SIZE rows at a time.

    On PostgreSQL the iteration runs in a read transaction with JIT compilation switched off
    for it (SET LOCAL ends with the transaction): the per-criterion joins make the planner's
    cost estimate high enough to trigger JIT, which then spends seconds compiling a query
    that runs in about one. A cursor is planned for its first 10% of rows by default; we
    read all of them, so cursor_tuple_fraction says so. Constant statements; nothing is
    interpolated.
    SQLite is left alone: its transactions here are IMMEDIATE and would block writers.
    """
    connection = connections[values.db]
    if connection.vendor != "postgresql":
        yield from values.iterator(chunk_size=DB_CHUNK_SIZE)
        return
    with transaction.atomic(using=values.db):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield from values.iterator(chunk_size=DB_CHUNK_SIZE)


def _sorted_references(joined: str) -> str:
    # SQLite cannot order inside an aggregate; DIG-999 < DIG-1000 by (length, text).
    if DEPENDENCY_SEPARATOR not in joined:
        return joined
    return DEPENDENCY_SEPARATOR.join(
        sorted(joined.split(DEPENDENCY_SEPARATOR), key=lambda ref: (len(ref), ref))
    )


def _active_criteria(council: Council) -> list[Criterion]:
    return list(council.criteria.filter(active=True).order_by("position", "id"))


def record_export(
    *, council: Council, user: Any, kind: str, description: str, filename: str
) -> None:
    ExportRecord.objects.create(
        council=council, user=user, kind=kind, description=description[:300], filename=filename
    )


def export_ranking(*, council: Council, user: Any, run: RankingRun) -> CsvExport:
    """The run's entries in rank order with each item's current details and scores."""
    items = (
        council.items.annotate(
            entry=FilteredRelation("ranked_entries", condition=Q(ranked_entries__run=run))
        )
        .filter(entry__isnull=False)
        .order_by("entry__position")
    )
    return _export_items(
        council=council,
        user=user,
        items=items,
        entry="entry",
        kind="ranking",
        description=f"Current ranking (run {run.generation})",
        run=run,
    )


def export_backlog(
    *, council: Council, user: Any, items: QuerySet[BacklogItem], description: str = ""
) -> CsvExport:
    """The backlog as filtered on the backlog page. `items` comes from
    backlog.filter_items, which joins the latest run's entry as `latest_entry`."""
    return _export_items(
        council=council,
        user=user,
        items=items,
        entry="latest_entry",
        kind="backlog",
        description=f"Backlog{f' ({description})' if description else ''}",
        run=ranking.latest_done_run(council),
    )


def _export_items(
    *,
    council: Council,
    user: Any,
    items: QuerySet[BacklogItem],
    entry: str,
    kind: str,
    description: str,
    run: RankingRun | None,
) -> CsvExport:
    """Live items as CSV rows: record the export, then stream from one database cursor.

    `entry` names the run's entry joined onto each item (a FilteredRelation); its rank,
    score and stored place in the delivery plan travel in the same row, so nothing is
    built per item before the first row and memory stays flat."""
    criteria = _active_criteria(council)
    on_postgresql = connections[items.db].vendor == "postgresql"
    annotated, score_columns = _with_scores_and_dependencies(items, criteria, ordered=on_postgresql)
    annotated = annotated.annotate(export_wards=_ward_names(council, ordered=on_postgresql))
    values = annotated.values_list(
        F(f"{entry}__rank"),
        F(f"{entry}__score"),
        F(f"{entry}__horizon"),
        F(f"{entry}__start_quarter"),
        F(f"{entry}__end_quarter"),
        KeyTextTransform("text", f"{entry}__schedule_details"),
        F(f"{entry}__rank_low"),
        F(f"{entry}__rank_high"),
        F(f"{entry}__stability"),
        *_ITEM_FIELDS,
        *score_columns,
    )
    filename = export_filename(council, kind)
    record_export(council=council, user=user, kind=kind, description=description, filename=filename)
    namer = QuarterNamer.from_totals((run.plan or {}) if run else {})
    if on_postgresql:
        return CsvExport(filename, _copy_chunks(header(criteria), values, namer))
    rows = _item_rows(_stream(values), namer)
    return CsvExport(filename, csv_chunks(header(criteria), rows))


# --- The PostgreSQL fast path: the database writes the CSV lines -------------------------
#
# The same values_list query, wrapped in COPY (SELECT <one CSV line per row> ...) TO STDOUT.
# The outer SELECT is built only from constants and column numbers; every value that comes
# from users or settings (labels, the plan's first quarter) travels as a bound parameter,
# bound client-side by psycopg as the ORM's own parameters are. Each cell mirrors
# _item_rows and csv_chunks exactly (tests compare the bytes with the Python path):
# neutralise() as a CASE on the first character (and the first after spaces and quotes),
# the csv module's minimal quoting (a cell with a quote, comma, CR or LF is quoted, quotes
# doubled), numbers as PostgreSQL writes them (the text str(Decimal) gives for these
# fixed-scale columns), NULL as an empty cell.

# csv_safety.FORMULA_TRIGGERS and _LEADING_NOISE, character for character (fullwidth
# operators and invisible spaces are written as themselves). '%' is written '%%' because
# psycopg binds this statement's parameters client-side.
_TRIGGERS_SQL = r"('=', '+', '-', '@', E'\t', E'\r', '|', '%%', '＝', '＋', '－', '＠')"
_NOISE_FIRST_SQL = (
    r"""(' ', '"', '''', E'\n', """
    + ", ".join(f"'{space}'" for space in "\u00a0\u200b\u200c\u200d\u2060\ufeff")
    + ")"
)
_NOISE_SQL = r"""E' "\'\n""" + "\u00a0\u200b\u200c\u200d\u2060\ufeff'"


def _neutralise_sql(expr: str) -> str:
    """csv_safety.neutralise in SQL, for a text expression (NULL stays NULL)."""
    return (
        f"CASE WHEN left({expr}, 1) IN {_TRIGGERS_SQL}"
        f" OR (left({expr}, 1) IN {_NOISE_FIRST_SQL}"
        f" AND left(ltrim({expr}, {_NOISE_SQL}), 1) IN {_TRIGGERS_SQL})"
        f" THEN '''' || {expr} ELSE {expr} END"
    )


def _quoted_sql(expr: str) -> str:
    """The csv writer's minimal quoting of a text cell; NULL becomes an empty cell."""
    return (
        f"""COALESCE(CASE WHEN strpos({expr}, '"') > 0 OR strpos({expr}, ',') > 0"""
        rf" OR strpos({expr}, E'\n') > 0 OR strpos({expr}, E'\r') > 0"
        f""" THEN '"' || replace({expr}, '"', '""') || '"' ELSE {expr} END, '')"""
    )


def _number_sql(expr: str) -> str:
    return f"COALESCE(({expr})::text, '')"


def _quarter_name_sql(index: str) -> str:
    """QuarterNamer.name in SQL: Quarter.short_label of the plan's first quarter plus
    `index`. Its two parameters: the first quarter's ordinal (year * 4 + number - 1), and
    whether the financial year is the calendar year."""
    ordinal = f"(%s::integer + {index})"
    year = f"({ordinal} / 4)"
    calendar = "%s::boolean"
    # The ordinal's placeholder appears three times, then the calendar flag: see _name_params.
    return (
        f"('Q' || ({ordinal} %% 4 + 1)::text || ' ' || CASE WHEN {calendar} THEN {year}::text"
        f" ELSE {year}::text || '/' || lpad((({year} + 1) %% 100)::text, 2, '0') END)"
    )


def _name_params(namer: QuarterNamer) -> list[Any]:
    first = namer.first
    assert first is not None
    ordinal = first.year * 4 + first.number - 1
    # _quarter_name_sql's placeholders in order: ordinal (in "Q<n>"), calendar flag,
    # ordinal (year), ordinal (year, the else branch), ordinal (year + 1).
    return [ordinal, first.first_month == 1, ordinal, ordinal, ordinal]


def _copy_sql(inner: str, columns: int, namer: QuarterNamer) -> tuple[str, list[Any]]:
    """The COPY statement around the compiled values_list query, and the parameters of the
    cells, which come before the inner query's in the statement.

    Three levels, each fenced with OFFSET 0 so that PostgreSQL computes every expression
    once per row rather than inlining it into each use: the inner query's columns, then
    each cell's text (labels, neutralised text, numbers), then the quoted CSV line."""
    c = [f"export_rows.c{i}" for i in range(columns)]
    (rank, score, horizon, start, end, why, low, high, stability, reference, title,
     theme, status, effort, one_off, recurring, owner, stage, problem, dependencies,
     all_wards, wards, directorate, key_decision, exempt_paragraph, eqia, dpia,
     one_off_funding, recurring_funding, funding_source, risk, risk_description,
     cashable_savings, non_cashable_benefits, *scores) = c  # fmt: skip
    text_cells: list[str] = []  # quoted by the csv rules
    number_cells: set[int] = set()
    params: list[Any] = []

    def number(expr: str) -> None:
        number_cells.add(len(text_cells))
        text_cells.append(f"({expr})::text")

    number(rank)
    text_cells.append(reference)
    text_cells.append(_neutralise_sql(title))
    text_cells.append(_neutralise_sql(theme))
    text_cells.append(f"COALESCE(%s::jsonb ->> {status}, {status})")
    params.append(_json_param(STATUS_LABELS))
    number(score)
    for value in (*scores, effort, one_off, recurring):
        number(value)
    text_cells.append(f"(%s::jsonb ->> {horizon})")
    params.append(_json_param(HORIZON_LABELS))
    if namer.first is None:
        text_cells.append("NULL::text")
    else:
        name_start, name_end = _quarter_name_sql(start), _quarter_name_sql(end)
        text_cells.append(
            f"CASE WHEN {start} IS NULL THEN NULL"
            f" WHEN {end} IS NULL OR {end} = {start} THEN {name_start}"
            f" ELSE {name_start} || ' to ' || {name_end} END"
        )
        # name_start appears twice in the statement, then name_end.
        params.extend(_name_params(namer) * 3)
    text_cells.append(_neutralise_sql(why))
    # Already in (length, text) order: the inner query's string_agg sorts them.
    text_cells.append(dependencies)
    text_cells.append(_neutralise_sql(owner))
    text_cells.append(f"COALESCE(%s::jsonb ->> {stage}, {stage})")
    params.append(_json_param(STAGE_LABELS))
    text_cells.append(_neutralise_sql(problem))
    # rank_range_text: "3–7", or blank while the ranges are being worked out.
    text_cells.append(
        f"CASE WHEN {low} IS NULL OR {high} IS NULL THEN NULL"
        f" ELSE ({low})::text || '–' || ({high})::text END"
    )
    text_cells.append(stability)
    params.extend(_committee_cells_sql(
        text_cells, number,
        all_wards=all_wards, wards=wards, directorate=directorate, key_decision=key_decision,
        exempt_paragraph=exempt_paragraph, eqia=eqia, dpia=dpia, one_off_funding=one_off_funding,
        recurring_funding=recurring_funding, funding_source=funding_source, risk=risk,
        risk_description=risk_description, cashable_savings=cashable_savings,
        non_cashable_benefits=non_cashable_benefits,
    ))  # fmt: skip
    names = ", ".join(f"c{i}" for i in range(columns))
    values = ", ".join(f"{expr} AS v{i}" for i, expr in enumerate(text_cells))
    line = " || ',' || ".join(
        f"COALESCE(cells.v{i}, '')" if i in number_cells else _quoted_sql(f"cells.v{i}")
        for i in range(len(text_cells))
    )
    sql = (
        f"COPY (SELECT {line} FROM (SELECT {values} FROM"
        f" (SELECT * FROM ({inner}) AS inner_rows({names}) OFFSET 0) AS export_rows"
        " OFFSET 0) AS cells) TO STDOUT"
    )
    return sql, params


def _committee_cells_sql(text_cells: list[str], number: Any, **c: str) -> list[Any]:
    """The committee columns' cells, as _item_rows writes them; returns their parameters
    (labels and fixed words travel as parameters, in the order of their placeholders)."""
    params: list[Any] = [committee.ALL_WARDS]
    text_cells.append(f"CASE WHEN {c['all_wards']} THEN %s ELSE {_neutralise_sql(c['wards'])} END")
    text_cells.append(_neutralise_sql(c["directorate"]))
    text_cells.append(f"CASE WHEN {c['key_decision']} THEN %s ELSE %s END")
    params.extend([committee.YES, committee.NO])
    number(c["exempt_paragraph"])
    for name, field in (
        ("eqia", "eqia_status"),
        ("dpia", "dpia_status"),
        ("one_off_funding", "one_off_funding"),
        ("recurring_funding", "recurring_funding"),
    ):
        text_cells.append(f"COALESCE(%s::jsonb ->> {c[name]}, {c[name]})")
        params.append(_json_param(COMMITTEE_CHOICE_LABELS[field]))
    text_cells.append(_neutralise_sql(c["funding_source"]))
    text_cells.append(f"COALESCE(%s::jsonb ->> {c['risk']}, {c['risk']})")
    params.append(_json_param(COMMITTEE_CHOICE_LABELS["risk_rating"]))
    text_cells.append(_neutralise_sql(c["risk_description"]))
    number(c["cashable_savings"])
    text_cells.append(_neutralise_sql(c["non_cashable_benefits"]))
    return params


def _json_param(mapping: dict[Any, Any]) -> str:
    return json.dumps({str(key): str(value) for key, value in mapping.items()})


# COPY's text format escapes these in a value; every backslash in its output starts one.
_COPY_ESCAPES = {
    b"\\": b"\\",
    b"b": b"\x08",
    b"f": b"\x0c",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"v": b"\x0b",
}
_COPY_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)


def _unescape(match: re.Match[bytes]) -> bytes:
    return _COPY_ESCAPES[match[1]]


def _copy_chunks(head: list[str], values: QuerySet, namer: QuarterNamer) -> Iterator[bytes]:
    """csv_chunks(head, _item_rows(...)) with the rows written by PostgreSQL: the header from
    the csv module, then COPY's lines with CRLF ends, ROWS_PER_CHUNK rows per chunk. Only
    one chunk is held at a time; JIT is off as in _stream."""
    yield next(csv_chunks(head, ()))
    inner, inner_params = values.query.sql_with_params()
    columns = len(values.query.values_select) + len(values.query.annotation_select)
    sql, params = _copy_sql(inner, columns, namer)
    connection = connections[values.db]
    with transaction.atomic(using=values.db), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        with cursor.cursor.copy(sql, [*params, *inner_params]) as copy:
            parts: list[bytes] = []
            for data in copy:
                parts.append(data)
                if len(parts) >= ROWS_PER_CHUNK:
                    yield _crlf(parts)
                    parts = []
            if parts:
                yield _crlf(parts)


def _crlf(parts: list[bytes]) -> bytes:
    """COPY rows (LF-terminated, with text-format escapes) as CSV lines ending in CRLF."""
    data = b"".join(parts).replace(b"\n", b"\r\n")
    if b"\\" in data:
        data = _COPY_ESCAPE.sub(_unescape, data)
    return data


# --- Published plans: always from the frozen snapshot ------------------------------------


def _snapshot_criteria(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in snapshot.get("criteria", []) if isinstance(c, dict)]


def _plan_committee_cells(entry: dict[str, Any]) -> list[Any]:
    """The committee columns from a snapshot entry (plans published before issue 12 have
    none of these keys: their cells are blank)."""
    labels = COMMITTEE_CHOICE_LABELS

    def label(field: str) -> str:
        key = str(entry.get(field) or "")
        return labels[field].get(key, _text(key))

    has_committee = "key_decision" in entry
    return [
        _text(committee.wards_label(entry)),
        _text(entry.get("directorate")),
        (committee.YES if entry.get("key_decision") else committee.NO) if has_committee else "",
        _number(entry.get("exempt_paragraph")),
        label("eqia_status"),
        label("dpia_status"),
        label("one_off_funding"),
        label("recurring_funding"),
        _text(entry.get("funding_source")),
        label("risk_rating"),
        _text(entry.get("risk_description")),
        _number(entry.get("cashable_savings")),
        _text(entry.get("non_cashable_benefits")),
    ]


def _plan_rows(
    entries: Iterable[dict[str, Any]], criteria: list[dict[str, Any]], *, public: bool = False
) -> Iterator[list[Any]]:
    """Rows of a frozen plan. `public` leaves out exempt items' problem statements and
    costs (committee.public_entry) and says so in the problem cell."""
    criterion_keys = [str(c.get("id", c.get("key", ""))) for c in criteria]
    for entry in entries:
        if public:
            entry = committee.public_entry(entry)
        scores = {str(k): v for k, v in (entry.get("scores") or {}).items()}
        depends_on = entry.get("depends_on") or []
        if isinstance(depends_on, str):
            depends_on = [depends_on]
        yield [
            _number(entry.get("rank")),
            _text(entry.get("reference")),
            _text(entry.get("title")),
            _text(entry.get("theme")),
            STATUS_LABELS.get(str(entry.get("status") or ""), _text(entry.get("status"))),
            _number(entry.get("score")),
            *[_number(scores.get(key)) for key in criterion_keys],
            _number(entry.get("effort_days", entry.get("effort"))),
            _number(entry.get("one_off_cost")),
            _number(entry.get("recurring_cost")),
            _text(_horizon_label(entry.get("horizon"))),
            _text(entry.get("quarters")),
            _text(entry.get("why")),
            _text(DEPENDENCY_SEPARATOR.join(str(ref) for ref in depends_on)),
            _text(entry.get("owner")),
            STAGE_LABELS.get(str(entry.get("stage") or ""), _text(entry.get("stage"))),
            _text(entry.get("problem"))
            if not entry.get("withheld")
            else committee.withheld_note(entry.get("exempt_paragraph")),
            rank_range_text(entry.get("rank_low"), entry.get("rank_high")),
            _text(entry.get("stability")),
            *_plan_committee_cells(entry),
        ]


def _horizon_label(horizon: str | None) -> str:
    if not horizon:
        return ""
    return HORIZON_LABELS.get(horizon, horizon)


def export_plan(
    *, council: Council, user: Any, plan: PublishedPlan, public: bool = False
) -> CsvExport:
    """A published plan exactly as frozen at publication, never today's live data. Its
    entries stream from the snapshot a chunk at a time (plans.snapshot_entries). The
    `public` version leaves out exempt items' problem statements and costs."""
    criteria = _snapshot_criteria(plans.snapshot_head(plan))
    filename = export_filename(council, plan.slug)
    version = " (public version)" if public else ""
    record_export(
        council=council,
        user=user,
        kind="plan",
        description=f"Published plan: {plan.title}{version}",
        filename=filename,
    )
    head = header([str(c.get("name", "")) for c in criteria])
    rows = _plan_rows(plans.snapshot_entries(plan), criteria, public=public)
    return CsvExport(filename, csv_chunks(head, rows))


# --- The companion method file ------------------------------------------------------------


def _method_rows(
    *,
    council: Council,
    method: str,
    profile_name: str,
    ranked_at: Any,
    generation: int | None,
    weights: list[tuple[str, str, Any]],
    plan: PublishedPlan | None,
    sampling: dict[str, Any] | None = None,
) -> list[list[str]]:
    when = timezone.localtime(ranked_at).strftime("%Y-%m-%d %H:%M") if ranked_at else ""
    rows = [
        ["Council", _text(council.name)],
        ["Method", METHOD_LABELS.get(method, _text(method))],
        ["How the score is worked out", METHOD_FORMULAS.get(method, "")],
        ["Weighting profile", _text(profile_name)],
        ["Ranking date", when],
        ["Ranking number", _number(generation)],
        ["Plan title", _text(plan.title) if plan else ""],
        ["Committee", _text(plan.committee) if plan else ""],
        ["Meeting date", f"{plan.meeting_date:%Y-%m-%d}" if plan else ""],
    ]
    for name, direction, weight in weights:
        rows.append([_text(f"Weight: {name} ({direction})"), _number(weight)])
    rows.append(["How sure each rank is", rank_ranges.method_text(sampling)])
    rows.append(["Rank range samples", _number((sampling or {}).get("samples"))])
    rows.append(["Weight band (±%)", _number((sampling or {}).get("band"))])
    rows.append(["Random seed", _number((sampling or {}).get("seed"))])
    return rows


def _run_weights(run: RankingRun) -> list[tuple[str, str, Any]]:
    """(criterion name, direction, weight) from the run's snapshots, falling back to today's
    criterion names for ids the criteria snapshot does not name."""
    named = {str(c["id"]): (str(c["name"]), str(c["direction"])) for c in run.scored_criteria()}
    missing = [key for key in (run.weights_snapshot or {}) if key not in named]
    if missing:
        for criterion in run.council.criteria.filter(pk__in=[k for k in missing if k.isdigit()]):
            named[str(criterion.pk)] = (criterion.name, criterion.direction)
    return [
        (*named.get(key, (f"criterion {key}", "")), weight)
        for key, weight in (run.weights_snapshot or {}).items()
    ]


def export_method(
    *, council: Council, user: Any, run: RankingRun | None, plan: PublishedPlan | None = None
) -> CsvExport:
    """How the ranking (or the plan's frozen ranking) was made: method, weights, profile,
    ranking date, and the plan's title and committee."""
    if plan is not None:
        snapshot = plans.snapshot_head(plan)
        weights = [
            (str(c.get("name", "")), str(c.get("direction", "")), c.get("weight"))
            for c in _snapshot_criteria(snapshot)
        ]
        rows = _method_rows(
            council=council,
            method=str(snapshot.get("method") or plan.run.method),
            profile_name=str(snapshot.get("profile_name") or plan.run.profile_name),
            ranked_at=plan.run.finished_at,
            generation=plan.run.generation,
            weights=weights or _run_weights(plan.run),
            plan=plan,
            sampling=snapshot.get("robustness") or plan.run.robustness,
        )
        what, description = f"{plan.slug}-method", f"Method for published plan: {plan.title}"
    else:
        assert run is not None
        rows = _method_rows(
            council=council,
            method=run.method,
            profile_name=run.profile_name,
            ranked_at=run.finished_at,
            generation=run.generation,
            weights=_run_weights(run),
            plan=None,
            sampling=run.robustness,
        )
        what = "ranking-method"
        description = f"Method for the current ranking (run {run.generation})"
    filename = export_filename(council, what)
    record_export(
        council=council, user=user, kind="method", description=description, filename=filename
    )
    return CsvExport(filename, csv_chunks(["Field", "Value"], rows))


# --- Scoring rounds ---------------------------------------------------------------------


def export_round(*, council: Council, user: Any, scoring_round: Any, results: Any) -> CsvExport:
    """A closed round's individual scores per item and criterion, with the median, range
    and agreed score. `results` comes from rounds.results, which refuses an open round."""
    filename = export_filename(council, f"round-{scoring_round.pk}")
    record_export(
        council=council,
        user=user,
        kind="round",
        description=f"Scoring round {scoring_round.name}",
        filename=filename,
    )
    head = [
        "Reference",
        "Title",
        "Criterion",
        *results.participants,
        "Median",
        "Lowest",
        "Highest",
        "Disagree",
        "Agreed score",
        "Agreement note",
    ]

    def rows() -> Iterator[list[Any]]:
        for result in results.items:
            for cell in result.cells:
                summary = cell.summary
                yield [
                    result.item.reference,
                    _text(result.item.title),
                    _text(cell.criterion.name),
                    *(_number(score) for score in cell.scores),
                    str(float(summary.median)) if summary else "",
                    _number(summary.low if summary else None),
                    _number(summary.high if summary else None),
                    "yes" if summary and summary.disagree else "",
                    _number(cell.agreed.value if cell.agreed else None),
                    _text(cell.agreed.note if cell.agreed else ""),
                ]

    return CsvExport(filename=filename, chunks=csv_chunks(head, rows()))
