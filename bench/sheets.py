"""Generated benchmark sheets, written once per size into var/bench/ and reused."""

from pathlib import Path

from django.conf import settings

from giftplatform.demo.generators import gift_rows, policy_rows
from giftplatform.sheets.writer import write_workbook

BENCH_DIR = Path(settings.VAR_DIR) / "bench"
SUB_BRANCHES = ["440301", "440303", "440304", "440305", "440306"]


def _write(path: Path, rows, *, excel_like: bool = True) -> Path:
    first = next(rows)
    headers = list(first)

    def values():
        yield [first[h] for h in headers]
        for row in rows:
            yield [row[h] for h in headers]

    tmp = path.with_suffix(".tmp.xlsx")
    # Sheets of up to ~200k rows are written as Excel writes them (shared strings).
    write_workbook(str(tmp), headers, values(), constant_memory=not excel_like)
    tmp.rename(path)
    return path


def policy_sheet(n: int, seed: int = 7) -> Path:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"policies-{n}-{seed}.xlsx"
    if not path.exists():
        rows = iter(policy_rows(n, seed=seed, branch_codes=SUB_BRANCHES))
        _write(path, rows, excel_like=n <= 200_000)
    return path


def gift_sheet(n: int, provider_codes, category_codes, seed: int = 7) -> Path:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"gifts-{n}-{seed}.xlsx"
    if not path.exists():
        _write(
            path,
            iter(
                gift_rows(
                    n, seed=seed, provider_codes=provider_codes, category_codes=category_codes
                )
            ),
        )
    return path
