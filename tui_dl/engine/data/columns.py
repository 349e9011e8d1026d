"""What each column of a table is and how it becomes features: the column plan.

A table of text cells is analysed column by column into a `ColumnPlan`: per column its kind (numeric,
categorical, date, text), its role (target, feature, excluded) with the reason in words, its missing
count, and what encoding it needs (one-hot vocabulary, date origin, a "was missing" indicator).
`ColumnPlan.encode` turns any chunk of rows of such a table into the same feature matrix, column for
column; the plan is plain data (`to_dict` / `from_dict`) so it travels inside checkpoints.

The rules (also in README.md, "Your CSV files"), for every column but the target:
- more than half of its values missing: left out;
- numbers: a whole number in every row, each row different, under an ID-like name (`id`, `*_id`, `*Id`,
  `rownames`, `index`, `column_1` for a nameless first column, ...): left out as an ID; any other number is
  a feature (a unique integer column with another name is a real feature, as `pop` in economics);
- ISO dates and date-times (2013-01-01, 2013-01-01T06:00:00Z): a feature, in days since the earliest value;
  checked before the next rule, so a unique timestamp is a feature;
- other text: left out when every row differs (IDs, names), or when it has too many distinct values to
  one-hot: more than 10% of the rows, within 10..50 (`category_limit`); else one-hot, a 0/1 column per value.
`exclude` leaves any column out; `include` puts back one the rules left out (an ID as a number, text
one-hot with every distinct value). Missing feature values: `impute` leaves NaN in a number's column (the
training split's median fills it later, in `engine.data.prepare`) and adds a 0/1 "was missing" column; text gets
a "(missing)" category. `drop` drops the rows instead. A row without a target value is always dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime

import numpy as np

from tui_dl.engine.errors import DataError
from tui_dl.i18n import _

MISSING_MARKERS = frozenset(("", "na", "nan", "n/a", "null", "none", "?", "#n/a"))
MOSTLY_MISSING = 0.5  # a feature column missing more than this share of its values is left out
MAX_CATEGORIES = 50  # text is one-hot encoded with at most this many distinct values,
CATEGORY_SHARE = 0.10  # and at most this share of the rows,
FEW_CATEGORIES = 10  # though this many are always allowed
MISSING_CATEGORY = "(missing)"  # the one-hot column (or 0/1 indicator) of a missing value
MIN_ROWS = 10

_ID_NAME = re.compile(r"(?i:^(column_\d+|unnamed: ?\d+|index|idx|rownames?|row|row_?(id|num|number)|obs|#|no|id|key"
                      r"|uuid|guid)$)|(_id|Id|ID|_key)$")
_WHOLE = re.compile(r"[+-]?\d+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?")


def is_missing(cell: str) -> bool:
    """Whether a (stripped) cell means "no value": empty, NA, NaN, null, ?, ..."""
    return cell.lower() in MISSING_MARKERS


def _floats(cells: Sequence[str], decimal_comma: bool) -> np.ndarray:
    """Cells as float64, missing ones NaN; raises ValueError on text."""
    filled = ["nan" if is_missing(c) else (c.replace(",", ".") if decimal_comma else c) for c in cells]
    values = np.array(filled, dtype=np.float64)
    values[~np.isfinite(values)] = np.nan  # inf counts as missing
    return values


def _timestamp(cell: str) -> float:
    """Seconds since 1970 (UTC) of an ISO date or date-time; ValueError otherwise. Naive times are UTC."""
    if not _ISO_DATE.fullmatch(cell):
        raise ValueError(cell)
    moment = datetime.fromisoformat(cell)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _seconds(cells: Sequence[str]) -> np.ndarray:
    return np.array([np.nan if is_missing(c) else _timestamp(c) for c in cells], dtype=np.float64)


@dataclass
class Column:
    """One column of the table and what it becomes."""

    name: str
    kind: str  # numeric, categorical, date or text (too many distinct values to one-hot)
    role: str = "feature"  # target, feature or excluded
    reason: str = ""  # why it is left out, or how it is used, in words
    rule: str = ""  # why the automatic rules would leave it out ("" when they keep it), whatever the overrides
    missing: int = 0  # missing cells in the rows analysed (rows with a target value)
    categories: list[str] = field(default_factory=list)  # one-hot vocabulary, sorted
    origin: str = ""  # dates: the earliest value; the feature is days since it
    indicator: bool = False  # a 0/1 "was missing" column (numbers, dates) or a "(missing)" category (text)
    decimal_comma: bool = False  # numbers written 2,5 for 2.5

    @property
    def value_kind(self) -> bool:
        """Numbers and dates are one value column (plus the indicator); text is one-hot."""
        return self.kind in ("numeric", "date")

    def feature_names(self) -> list[str]:
        """Names of the feature columns this column becomes, in order."""
        missing = [f"{self.name}={MISSING_CATEGORY}"] if self.indicator else []
        if self.value_kind:
            return [self.name, *missing]
        return [f"{self.name}={c}" for c in self.categories] + missing

    def values(self, cells: Sequence[str], first_row: int = 1) -> np.ndarray:
        """A number's or a date's cells as floats (dates in days since `origin`), missing ones NaN."""
        try:
            if self.kind == "numeric":
                return _floats(cells, self.decimal_comma)
            return (_seconds(cells) - _timestamp(self.origin)) / 86_400.0
        except ValueError:
            bad = next(i for i, cell in enumerate(cells) if not is_missing(cell) and not self._readable(cell))
            what = _("a number") if self.kind == "numeric" else _("an ISO date (2024-01-31)")
            raise DataError(_("column {name!r}, row {first_row}: {cells!r} is not {what}").format(
                                name=self.name, first_row=first_row + bad, cells=cells[bad], what=what)) from None

    def _readable(self, cell: str) -> bool:
        try:
            _floats([cell], self.decimal_comma) if self.kind == "numeric" else _timestamp(cell)
        except ValueError:
            return False
        return True


@dataclass
class ColumnPlan:
    """Every column of a table in file order, with exactly one target."""

    columns: list[Column]
    missing: str = "impute"  # what was done with missing feature values: impute or drop

    @property
    def target(self) -> Column:
        return next(c for c in self.columns if c.role == "target")

    @property
    def features(self) -> list[Column]:
        return [c for c in self.columns if c.role == "feature"]

    def excluded(self) -> dict[str, str]:
        """Each left-out column with the reason."""
        return {c.name: c.reason for c in self.columns if c.role == "excluded"}

    def imputed(self) -> dict[str, int]:
        """Feature columns whose missing values are filled in, with their count."""
        return {c.name: c.missing for c in self.features if c.indicator}

    def feature_names(self) -> list[str]:
        return [name for c in self.features for name in c.feature_names()]

    def value_features(self) -> list[tuple[int, str]]:
        """(index in the feature matrix, name) of each number's and date's value column."""
        out, index = [], 0
        for c in self.features:
            if c.value_kind:
                out.append((index, c.name))
            index += len(c.feature_names())
        return out

    def encode(self, cells: Mapping[str, Sequence[str]], first_row: int = 1) -> np.ndarray:
        """The feature matrix (N x F float32) of rows given as stripped text cells by column name.

        Works on any chunk of rows of the same table: numbers and dates keep NaN where missing, unseen
        or missing categories (without a "(missing)" category) give all-zero one-hot columns. Raises
        DataError naming a feature column that is absent, or a cell that is not a number or date.
        `first_row` is the row number of the chunk's first row, for those messages.
        """
        absent = [c.name for c in self.features if c.name not in cells]
        if absent:
            raise DataError(_("missing feature column(s): {names}").format(names=', '.join(map(repr, absent))))
        n = len(next(iter(cells.values()))) if cells else 0
        x = np.zeros((n, len(self.feature_names())), dtype=np.float32)
        offset = 0
        for column in self.features:
            column_cells = cells[column.name]
            width = len(column.feature_names())
            if column.value_kind:
                values = column.values(column_cells, first_row)
                x[:, offset] = values
                if column.indicator:
                    x[:, offset + 1] = np.isnan(values)
            else:
                index = {c: i for i, c in enumerate(column.categories)}
                if column.indicator:
                    index.update((m, len(column.categories)) for m in MISSING_MARKERS)
                hot = np.array([index.get(c.lower() if is_missing(c) else c, -1) for c in column_cells], dtype=np.int64)
                rows = np.flatnonzero(hot >= 0)
                x[rows, offset + hot[rows]] = 1.0
            offset += width
        return x

    def unseen(self, cells: Mapping[str, Sequence[str]]) -> dict[str, int]:
        """Per categorical feature, how many present values of `cells` are not in its vocabulary."""
        counts = {}
        for column in self.features:
            if not column.value_kind and column.name in cells:
                known = set(column.categories)
                count = sum(1 for c in cells[column.name] if not is_missing(c) and c not in known)
                if count:
                    counts[column.name] = count
        return counts

    def to_dict(self) -> dict:
        """Plain data (str, int, bool, list, dict) for checkpoints."""
        return {"missing": self.missing, "columns": [asdict(c) for c in self.columns]}

    @classmethod
    def from_dict(cls, data: dict) -> ColumnPlan:
        """From `to_dict`'s output, ignoring keys this version does not know."""
        known = {f.name for f in fields(Column)}
        return cls([Column(**{k: v for k, v in c.items() if k in known}) for c in data["columns"]],
                   data.get("missing", "impute"))


# analysis --------------------------------------------------------------------------------------

def category_limit(rows: int) -> int:
    """The most distinct values a text column may have to be one-hot encoded: 10% of the rows, within 10..50."""
    return min(MAX_CATEGORIES, max(FEW_CATEGORIES, int(CATEGORY_SHARE * rows)))


def _kind_and_rule(name: str, cells: list[str], missing: np.ndarray, decimal_comma: bool) -> tuple[str, str, bool]:
    """(kind, rule, decimal_comma) of a feature column from the rows that have a target value."""
    n, present = len(cells), [c for c, gone in zip(cells, missing) if not gone]
    share = missing.mean() if n else 0.0
    kind, rule, comma = "", "", False
    for use_comma in (False, True) if decimal_comma else (False,):
        try:
            values = _floats(present, use_comma)
        except ValueError:
            continue
        kind, comma = "numeric", use_comma
        whole = all(_WHOLE.fullmatch(c) for c in present)
        if whole and _ID_NAME.search(name) and len(np.unique(values)) == len(values):
            rule = _("an ID: a different whole number in every row")
        break
    if not kind:
        try:
            _seconds(present)
            kind = "date"
        except ValueError:
            distinct = len(set(present))
            kind = "categorical"
            if present and distinct == len(present) and distinct > 1:
                kind, rule = "text", _("a different text in every row (an ID or a name)")
            elif distinct > category_limit(n):
                kind = "text"
                rule = _("too many categories to one-hot: {distinct} values, at most {limit} for {n:,} "
                         "rows").format(distinct=distinct, limit=category_limit(n), n=n)
    if share > MOSTLY_MISSING:
        rule = _("mostly missing: {share:.0%} of its values are missing").format(share=share)
    return kind, rule, comma


def _fit(column: Column, cells: list[str], missing: np.ndarray, impute: bool) -> None:
    """Set the encoding (vocabulary, origin, indicator) from the rows kept for training, and say how it is used."""
    present = [c for c, gone in zip(cells, missing) if not gone]
    column.indicator = impute and bool(missing.any())
    if column.kind == "date":
        column.origin = min(present, key=_timestamp)
        use = _("days since {origin}").format(origin=column.origin)
    elif column.kind == "numeric":
        use = _("a number")
    else:
        column.kind = "categorical"  # text too many to one-hot is one-hot all the same when included
        column.categories = sorted(set(present))
        use = _("one-hot, {n_categories} values").format(n_categories=len(column.categories))
    column.reason = _("{use}; included by you ({rule})").format(use=use, rule=column.rule) if column.rule else use


def _names_check(what: str, header: list[str], names: Sequence[str], flag: str) -> None:
    unknown = [n for n in names if n not in header]
    if unknown:
        shown = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
        raise DataError(_("{what} has no column {unknown!r} to {flag}; columns are: {shown}").format(
                            what=what, unknown=unknown[0], flag=flag, shown=shown))


def make_plan(header: list[str], cells: list[list[str]], what: str, target: str | None = None,
              exclude: Sequence[str] = (), include: Sequence[str] = (), missing: str = "impute",
              decimal_comma: bool = False) -> tuple[ColumnPlan, np.ndarray, list[str]]:
    """Analyse a table (stripped cells per column) into (plan, the rows kept as a bool mask, notices).

    `target` defaults to the last column. Raises DataError for a column name that does not exist, an
    excluded target, too few rows left, or no usable feature.
    """
    target_name = target if target is not None else header[-1]
    if target_name not in header:
        shown = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
        raise DataError(_("{what} has no column {target_name!r}; columns are: {shown}").format(
                            what=what, target_name=target_name, shown=shown))
    _names_check(what, header, exclude, _("exclude"))
    _names_check(what, header, include, _("include"))
    if target_name in exclude:
        raise DataError(_("the target {target_name!r} cannot be excluded").format(target_name=target_name))
    n = len(cells[0])
    gone = np.array([[is_missing(c) for c in column] for column in cells], dtype=bool).reshape(len(header), n)
    t = header.index(target_name)
    target_column = Column(target_name, "categorical", "target", _("the last column, by default") if target is None else "")
    for comma in (False, True) if decimal_comma else (False,):
        try:
            gone[t] |= np.isnan(_floats(cells[t], comma))
        except ValueError:
            continue
        target_column.kind, target_column.decimal_comma = "numeric", comma
        break
    keep = ~gone[t]
    no_target = target_column.missing = int((~keep).sum())

    columns: list[Column] = []
    for j, name in enumerate(header):
        if j == t:
            columns.append(target_column)
            continue
        column_cells = [c for c, k in zip(cells[j], keep) if k]
        kind, rule, comma = _kind_and_rule(name, column_cells, gone[j][keep], decimal_comma)
        if kind == "numeric":
            gone[j] = np.isnan(_floats(cells[j], comma))  # inf too
        column = Column(name, kind, missing=int(gone[j][keep].sum()), rule=rule, decimal_comma=comma)
        if name in exclude:
            column.role, column.reason = "excluded", _("left out by you")
        elif rule and name not in include:
            column.role, column.reason = "excluded", rule
        columns.append(column)
    features = [j for j, c in enumerate(columns) if c.role == "feature"]
    if missing == "drop":
        for j in features:
            keep &= ~gone[j]
    dropped = int((~keep).sum())
    if keep.sum() < MIN_ROWS:
        worst = max([*features, t], key=lambda j: gone[j].sum())
        raise DataError(_("{what}: only {rows} rows remain after dropping rows with missing values; at least "
                          "{min_rows} are needed ({column!r} alone misses {misses})").format(
                            what=what, rows=int(keep.sum()), min_rows=MIN_ROWS, column=header[worst], misses=int(gone[worst].sum())))
    for j in features:
        _fit(columns[j], [c for c, k in zip(cells[j], keep) if k], gone[j][keep], missing == "impute")
    plan = ColumnPlan(columns, missing)
    if not features:
        why = "; ".join(f"{name!r}: {reason}" for name, reason in plan.excluded().items())
        raise DataError(_("{what} has no usable feature columns besides the target {target_name!r}").format(
                            what=what, target_name=target_name)
                        + (_(" (left out: {why})").format(why=why) if why else ""))
    return plan, keep, column_notices(plan) + _row_notices(plan, n, no_target, dropped - no_target)


def column_notices(plan: ColumnPlan) -> list[str]:
    """What the plan does with columns, in a few lines: what the Data tab's column list shows too."""
    out = []
    if plan.target.reason:
        out.append(_("target {name!r}: {reason} (choose another with --target, or `t` in the Data tab's column "
                     "list)").format(name=plan.target.name, reason=plan.target.reason))
    if plan.excluded():
        left_out = (_("{name!r} ({why})").format(name=name, why=why) for name, why in plan.excluded().items())
        out.append(_("left out {columns}").format(columns=_("; ").join(left_out)))
    out += [_("{name!r} is a date: used as days since {origin}").format(
                name=c.name, origin=c.origin) for c in plan.features if c.kind == "date"]
    out += [_("used {name!r}: {reason}").format(name=c.name, reason=c.reason) for c in plan.features if c.rule]
    return out


def _row_notices(plan: ColumnPlan, rows: int, no_target: int, dropped: int) -> list[str]:
    """What was done with rows and cells: dropped rows, filled-in values, decimal commas."""
    out = []
    if no_target:
        out.append(_("dropped {no_target:,} of {rows:,} rows without a target value").format(no_target=no_target, rows=rows))
    if dropped:
        out.append(_("dropped {dropped:,} of {rows:,} rows with a missing feature value (--missing drop)").format(
                       dropped=dropped, rows=rows))
    imputed = plan.imputed()
    if imputed:
        kinds = {c.name: c.kind for c in plan.features}
        how = []
        numbers = [name for name in imputed if kinds.get(name) != "categorical"]
        if numbers:
            how.append(_("{names} with the training split's median, plus 0/1 columns {columns}").format(
                names=_names(numbers), columns=", ".join(f"'{name}={MISSING_CATEGORY}'" for name in numbers[:3])
                + (" ..." if len(numbers) > 3 else "")))
        texts = [name for name in imputed if kinds.get(name) == "categorical"]
        if texts:
            how.append(_("{names} as a '{missing}' category").format(names=_names(texts), missing=MISSING_CATEGORY))
        counts = ", ".join(f"{name!r} {count:,}" for name, count in imputed.items())
        out.append(_("filled in missing values of {counts} (of {rows:,} rows): {how}").format(
                       counts=counts, rows=rows - no_target, how=_("; ").join(how)))
    commas = [c.name for c in plan.features if c.decimal_comma]
    if commas:
        out.append(_("read decimal commas in {n} column(s): 2,5 as 2.5").format(n=len(commas)))
    return out


def _names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)


def toggled(column: Column, exclude: list[str], include: list[str]) -> tuple[list[str], list[str]]:
    """The exclude / include lists after switching `column` between feature and left out."""
    exclude = [n for n in exclude if n != column.name]
    include = [n for n in include if n != column.name]
    if column.role == "feature" and not column.rule:
        exclude.append(column.name)
    elif column.role == "excluded" and column.rule:
        include.append(column.name)
    return exclude, include
