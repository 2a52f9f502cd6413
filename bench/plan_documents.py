"""Plan documents (issue 12): a published plan rendered to Word, Excel and PDF.

Targets: a 50-item plan renders to .docx, .xlsx and .pdf each in under 2 s; a 1,000-item plan
renders to .xlsx in under 3 s with flat memory. Each timing is what a download costs without
HTTP: the snapshot read from PostgreSQL (head, then entries a chunk at a time), the plan
document built, the file rendered. The baseline is the same plan's CSV (csv_export.export_plan,
consumed whole). Memory: tracemalloc's peak while rendering the .xlsx from entries made on the
fly (so the renderer's own memory, not the entries'), at 200 and 1,000 items; "flat" means
the 1,000-item peak is under 1.5 times the 200-item one. A separate end-to-end peak includes
the database read. Medians of 5 untraced runs; the traced runs are not timed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/plan_documents.py
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine_line, median_ms, setup_django  # noqa: E402

TARGET_SMALL_MS = 2_000  # 50 items, each format
TARGET_LARGE_XLSX_MS = 3_000  # 1,000 items
FLAT_RATIO = 1.5  # 1,000-item peak / 200-item peak
REPEATS = 5


def publish(council, count: int):
    """A published plan whose snapshot holds `count` entries with the committee fields."""
    from planner.models import PublishedPlan, RankingRun, RunStatus
    from tests.planner.plan_snapshots import snapshot

    run = RankingRun.objects.create(council=council, status=RunStatus.DONE, generation=count)
    return PublishedPlan.objects.create(
        council=council,
        run=run,
        title=f"Bench plan of {count}",
        slug=f"bench-{count}",
        committee="Cabinet",
        meeting_date=date(2027, 3, 4),
        note="Approve the order.",
        snapshot=snapshot(count),
    )


def _peak_kib(func) -> float:
    gc.collect()
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024


def _streamed_document(count: int):
    """The 1,000-item document from entries made one at a time: only the renderer's memory."""
    from planner.plan_document import PlanFields, build_plan_document
    from tests.planner.plan_snapshots import entry, snapshot

    head = {k: v for k, v in snapshot(0).items() if k != "entries"}

    def entries():
        for number in range(1, count + 1):
            horizon = "now" if number <= 8 else "next" if number <= 20 else "later"
            yield entry(number, horizon=horizon)

    return build_plan_document(
        council="Bench",
        plan=PlanFields(title="Bench", committee="Cabinet", meeting_date=date(2027, 3, 4)),
        head=head,
        entries=entries,
        public=True,
    )


def main() -> int:
    setup_django("plan_documents")
    from councils.models import Council, CouncilType
    from planner import csv_export, render_docx, render_pdf, render_xlsx
    from planner.defaults import ensure_council_defaults
    from planner.plan_document import plan_document

    council = Council.objects.create(name="Bench", slug="bench", council_type=CouncilType.UNITARY)
    ensure_council_defaults(council)
    plans = {count: publish(council, count) for count in (50, 200, 1_000)}
    renderers = {"docx": render_docx.render, "xlsx": render_xlsx.render, "pdf": render_pdf.render}

    def download(count: int, extension: str):
        return lambda: renderers[extension](plan_document(plans[count], public=True))

    def csv(count: int):
        def run():
            export = csv_export.export_plan(council=council, user=None, plan=plans[count])
            return b"".join(export.chunks)

        return run

    print(machine_line())
    missed = []
    results = {}
    for count, extension, target in (
        (50, "docx", TARGET_SMALL_MS),
        (50, "xlsx", TARGET_SMALL_MS),
        (50, "pdf", TARGET_SMALL_MS),
        (1_000, "xlsx", TARGET_LARGE_XLSX_MS),
        (1_000, "docx", None),
        (1_000, "pdf", None),
    ):
        ms = median_ms(download(count, extension), repeats=REPEATS if count == 50 else 3)
        baseline = median_ms(csv(count), repeats=REPEATS)
        results[(count, extension)] = ms
        verdict = "" if target is None else (" ok" if ms < target else " MISSED")
        print(
            f"{count:>5} items .{extension:<4} {ms:8.0f} ms"
            f" (target {'none' if target is None else f'< {target} ms'}){verdict};"
            f" plan CSV {baseline:6.1f} ms, ratio {ms / baseline:5.1f}x"
        )
        if target is not None and ms >= target:
            missed.append(f"{count} items .{extension}: {ms:.0f} ms >= {target} ms")

    peaks = {
        n: _peak_kib(lambda n=n: render_xlsx.render(_streamed_document(n))) for n in (200, 1_000)
    }
    ratio = peaks[1_000] / peaks[200]
    print(
        f"xlsx renderer peak: 200 items {peaks[200]:,.0f} KiB, 1,000 items {peaks[1_000]:,.0f} KiB,"
        f" ratio {ratio:.2f} (flat: < {FLAT_RATIO})"
    )
    if ratio >= FLAT_RATIO:
        missed.append(f"xlsx memory grows: ratio {ratio:.2f} >= {FLAT_RATIO}")
    for count in (200, 1_000):
        peak = _peak_kib(download(count, "xlsx"))
        print(f"end to end (database read included), {count} items .xlsx: peak {peak:,.0f} KiB")

    for line in missed:
        print(f"MISSED TARGET: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
