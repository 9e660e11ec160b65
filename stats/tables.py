"""A grouped result as the table the page shows and the sheet exports: one builder, so
the export holds exactly the page's cells (raw values; the page formats them)."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from stats.dimensions import DIMENSIONS, MEASURES
from stats.selectors import Result, pivot


@dataclass
class Table:
    headers: list[str]
    rows: list[list]
    total: list | None = None
    key_columns: int = 1
    money_columns: set[int] = field(default_factory=set)
    # The branch id a row drills down into (branch dimension first), else None.
    drill: list[int | None] = field(default_factory=list)

    @property
    def lines(self) -> list[tuple[list, int | None]]:
        """Rows with their drill-down branch id, for the template."""
        return list(zip(self.rows, self.drill, strict=True))


def flat_table(result: Result) -> Table:
    """One row per group: the dimension labels, then the measures; the total last."""
    query = result.query
    dims = query.dimensions
    measures = list(query.measures)
    headers = [str(DIMENSIONS[d].label) for d in dims] + [str(MEASURES[m].label) for m in measures]
    table = Table(
        headers=headers,
        rows=[],
        key_columns=len(dims),
        money_columns={len(dims) + i for i, m in enumerate(measures) if MEASURES[m].money},
    )
    root = result.rollup_root.pk if result.rollup_root is not None else None
    for row in result.rows:
        table.rows.append([*row.labels, *(row.values.get(m) for m in measures)])
        branch_id = row.keys[0] if dims and dims[0] == "branch" else None
        table.drill.append(branch_id if branch_id and branch_id != root else None)
    figures = [result.total.get(m) for m in measures]
    table.total = [_("Total"), *[""] * (len(dims) - 1), *figures] if dims else figures
    return table


def pivot_table(result: Result, measure: str) -> Table:
    """Two dimensions crossed for one measure: first dimension down, second across."""
    rows, cols, cells = pivot(result, measure)
    first, second = (str(DIMENSIONS[d].label) for d in result.query.dimensions)
    headers = [f"{first} \\ {second}", *(label for _key, label in cols)]
    table = Table(headers=headers, rows=[], key_columns=1)
    if MEASURES[measure].money:
        table.money_columns = set(range(1, len(headers)))
    for row_key, row_label in rows:
        table.rows.append([row_label, *(cells[(row_key, col_key)] for col_key, _l in cols)])
        table.drill.append(None)
    return table
