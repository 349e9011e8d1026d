"""The column rules of CSV tables: IDs, too many categories, dates, missing values, overrides, the plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tui_dl.engine.data.columns import ColumnPlan, category_limit, make_plan, toggled
from tui_dl.engine.config import DataConfig
from tui_dl.engine.data.registry import load_raw
from tui_dl.engine.errors import DataError
from tui_dl.engine.data.files import load_file


def write_table(path: Path, columns: dict[str, list[object]]) -> Path:
    names = list(columns)
    rows = zip(*columns.values())
    path.write_text("\n".join([",".join(names), *(",".join(str(c) for c in row) for row in rows)]) + "\n")
    return path


def customers(n: int = 600, seed: int = 0) -> dict[str, list[object]]:
    """Random unique customer IDs, a 299-value city, two real features and a label that depends on them."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(10**6, size=n, replace=False)
    income = rng.normal(50, 10, n).round(2)
    age = rng.integers(18, 80, n)
    return {"customer_id": ids.tolist(), "city": [f"city{rng.integers(299)}" for _ in range(n)],
            "income": income.tolist(), "age": age.tolist(),
            "buys": ["yes" if i + a > 95 else "no" for i, a in zip(income, age)]}


def test_unique_integer_ids_and_a_299_value_city_are_left_out_with_their_reasons(tmp_path):
    table = customers()
    table["city"] = [f"city{i % 299}" for i in range(600)]  # exactly 299 values
    raw = load_file(write_table(tmp_path / "c.csv", table))
    assert raw.feature_names == ["income", "age"]
    assert raw.plan.excluded() == {
        "customer_id": "an ID: a different whole number in every row",
        "city": "too many categories to one-hot: 299 values, at most 50 for 600 rows",
    }
    notice = next(n for n in raw.notices if n.startswith("left out"))
    assert "'customer_id' (an ID" in notice and "'city' (too many categories" in notice
    kinds = {c.name: (c.kind, c.role) for c in raw.plan.columns}
    assert kinds == {"customer_id": ("numeric", "excluded"), "city": ("text", "excluded"),
                     "income": ("numeric", "feature"), "age": ("numeric", "feature"),
                     "buys": ("categorical", "target")}


def test_a_unique_string_column_is_an_id_or_a_name(tmp_path):
    table = {"name": [f"person {i}" for i in range(30)], "x": [i % 7 for i in range(30)], "y": [i % 2 for i in range(30)]}
    raw = load_file(write_table(tmp_path / "n.csv", table))
    assert raw.plan.excluded() == {"name": "a different text in every row (an ID or a name)"}
    assert raw.feature_names == ["x"]


@pytest.mark.parametrize("name", ["weight", "pop", "price"])
def test_a_unique_integer_feature_without_an_id_name_is_a_feature(tmp_path, name):
    rng = np.random.default_rng(1)
    table = {name: rng.choice(5000, size=15, replace=False).tolist(), "y": [i % 2 for i in range(15)]}
    raw = load_file(write_table(tmp_path / "small.csv", table))
    assert raw.feature_names == [name] and raw.plan.excluded() == {}


@pytest.mark.parametrize("name", ["id", "ID", "PassengerId", "customer_id", "rownames", "index", "column_1"])
def test_id_like_names_with_unique_whole_numbers_are_ids(tmp_path, name):
    table = {name: [7 * i + 3 for i in range(20)], "x": [i % 5 for i in range(20)], "y": [i % 2 for i in range(20)]}
    raw = load_file(write_table(tmp_path / "ids.csv", table))
    assert list(raw.plan.excluded()) == [name]


def test_an_id_like_name_with_repeated_values_is_a_feature(tmp_path):
    table = {"store_id": [i % 4 for i in range(20)], "y": [i % 2 for i in range(20)]}
    assert load_file(write_table(tmp_path / "s.csv", table)).feature_names == ["store_id"]


def test_categories_are_one_hot_up_to_the_limit():
    assert [category_limit(n) for n in (20, 100, 234, 500, 600, 5000)] == [10, 10, 23, 50, 50, 50]


def test_iso_dates_become_days_since_the_earliest(tmp_path):
    dates = [f"2020-01-{d:02d}" for d in range(1, 21)]
    dates[0], dates[5] = dates[5], dates[0]  # not sorted: the origin is the earliest value, not the first
    table = {"day": dates, "v": [i % 3 for i in range(20)], "y": [i % 2 for i in range(20)]}
    raw = load_file(write_table(tmp_path / "d.csv", table))
    column = raw.plan.columns[0]
    assert (column.kind, column.role, column.origin) == ("date", "feature", "2020-01-01")
    np.testing.assert_allclose(raw.x[:, 0], [int(d[-2:]) - 1 for d in dates])
    assert "'day' is a date: used as days since 2020-01-01" in raw.notices


def test_a_unique_timestamp_is_a_date_feature_not_an_id(tmp_path):
    stamps = [f"2013-01-01T{h:02d}:30:00Z" for h in range(12)] + ["2013-01-01 12:30:00+01:00", "2013-01-02T00:00"]
    table = {"time_hour": stamps, "temp": [i * 1.5 for i in range(14)], "y": [i % 2 for i in range(14)]}
    raw = load_file(write_table(tmp_path / "t.csv", table))
    assert raw.plan.excluded() == {}
    assert raw.feature_names == ["time_hour", "temp"]
    hours = raw.x[:, 0] * 24
    np.testing.assert_allclose(hours, [*range(12), 11, 23.5], atol=1e-4)  # 12:30+01:00 is 11:30 UTC


def missing_table() -> dict[str, list[object]]:
    n = 20
    table = {"size": [float(i) for i in range(n)], "colour": [("red", "blue")[i % 2] for i in range(n)],
             "y": [i % 2 for i in range(n)]}
    table["size"][3] = "NA"
    table["size"][8] = ""
    table["colour"][5] = "?"
    table["y"][11] = ""
    return table


def test_missing_values_are_imputed_by_default(tmp_path):
    raw = load_file(write_table(tmp_path / "m.csv", missing_table()))
    assert raw.samples == 19 and raw.rows == 20 and raw.dropped_rows == 1  # the row without a target
    assert raw.feature_names == ["size", "size=(missing)", "colour=blue", "colour=red", "colour=(missing)"]
    assert raw.plan.imputed() == {"size": 2, "colour": 1}
    assert np.isnan(raw.x[3, 0]) and raw.x[3, 1] == 1 and raw.x[4, 1] == 0
    np.testing.assert_array_equal(raw.x[5, 2:], [0, 0, 1])
    assert "dropped 1 of 20 rows without a target value" in raw.notices
    assert any(n.startswith("filled in missing values of 'size' 2, 'colour' 1 (of 19 rows)") for n in raw.notices)


def test_missing_drop_keeps_todays_behaviour(tmp_path):
    raw = load_file(write_table(tmp_path / "m.csv", missing_table()), missing="drop")
    assert raw.samples == 16 and raw.dropped_rows == 4
    assert raw.feature_names == ["size", "colour=blue", "colour=red"]
    assert np.all(np.isfinite(raw.x)) and raw.plan.imputed() == {}
    assert "dropped 3 of 20 rows with a missing feature value (--missing drop)" in raw.notices


def test_a_row_without_a_target_is_dropped_in_both_modes(tmp_path):
    path = write_table(tmp_path / "m.csv", missing_table())
    for mode in ("impute", "drop"):
        raw = load_file(path, missing=mode)
        assert raw.plan.target.missing == 1
        assert raw.y.tolist() == [i % 2 for i in range(20) if i != 11 and (mode == "impute" or i not in (3, 5, 8))]


def test_exclude_and_include_override_the_rules(tmp_path):
    table = customers(n=100)
    path = write_table(tmp_path / "c.csv", table)
    raw = load_file(path, exclude=["age"], include=["customer_id"])
    assert raw.feature_names == ["customer_id", "income"]
    assert raw.plan.excluded() == {"age": "left out by you", "city": raw.plan.columns[1].rule}
    np.testing.assert_array_equal(raw.x[:, 0], table["customer_id"])  # an included ID is a plain number
    assert any(n.startswith("used 'customer_id': a number; included by you (an ID") for n in raw.notices)
    text = load_file(path, include=["city"])
    assert text.plan.columns[1].kind == "categorical"
    assert len([n for n in text.feature_names if n.startswith("city=")]) == len(set(table["city"]))


@pytest.mark.parametrize(("options", "message"), [
    ({"exclude": ["nope"]}, "c.csv has no column 'nope' to exclude; columns are: customer_id, city, income, age, buys"),
    ({"include": ["Age"]}, "c.csv has no column 'Age' to include; columns are: customer_id, city, income, age, buys"),
    ({"exclude": ["buys"]}, "the target 'buys' cannot be excluded"),
    ({"exclude": ["income", "age"]}, "c.csv has no usable feature columns besides the target 'buys'"),
])
def test_override_errors_name_the_column(tmp_path, options, message):
    with pytest.raises(DataError) as info:
        load_file(write_table(tmp_path / "c.csv", customers(n=40)), **options)
    assert str(info.value).startswith(message)


def test_column_options_reach_the_loader_through_the_config(tmp_path):
    path = write_table(tmp_path / "m.csv", missing_table())
    raw = load_raw(DataConfig(dataset=str(path), exclude=["colour"], missing="drop"))
    assert raw.feature_names == ["size"] and raw.samples == 17
    with pytest.raises(DataError, match="--target, --exclude and --include apply to CSV files; spiral is a built-in"):
        load_raw(DataConfig(dataset="spiral", exclude=["x1"]))


def test_the_plan_is_plain_data_and_round_trips(tmp_path):
    table = missing_table()
    table["when"] = [f"2021-03-{d:02d}" for d in range(1, 21)]
    raw = load_file(write_table(tmp_path / "m.csv", table), target="y")

    def plain(value) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return type(value) in (str, int, float, bool)

    data = raw.plan.to_dict()
    assert plain(data)
    again = ColumnPlan.from_dict(data)
    assert again == raw.plan and again.feature_names() == raw.feature_names


def test_encode_handles_new_rows_with_unseen_categories_and_missing_values(tmp_path):
    raw = load_file(write_table(tmp_path / "m.csv", missing_table()))
    plan = ColumnPlan.from_dict(raw.plan.to_dict())
    new = {"colour": ["red", "green", "NA"], "size": ["2.5", "", "1e3"], "extra": ["a", "b", "c"]}
    x = plan.encode(new)
    assert x.shape == (3, 5) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0], [2.5, 0, 0, 1, 0])
    assert np.isnan(x[1, 0]) and x[1, 1] == 1 and not x[1, 2:].any()  # unseen "green": all zeros
    np.testing.assert_array_equal(x[2], [1000, 0, 0, 0, 1])
    assert plan.unseen(new) == {"colour": 1}
    again = plan.encode({"size": ["1", "2"], "colour": ["blue", "red"]})
    np.testing.assert_array_equal(again, [[1, 0, 1, 0, 0], [2, 0, 0, 1, 0]])  # the same columns, chunk by chunk


def test_encode_names_a_bad_cell_and_a_missing_column(tmp_path):
    plan = load_file(write_table(tmp_path / "m.csv", missing_table())).plan
    with pytest.raises(DataError, match=r"column 'size', row 12: 'big' is not a number"):
        plan.encode({"size": ["1", "big"], "colour": ["red", "red"]}, first_row=11)
    with pytest.raises(DataError, match=r"missing feature column\(s\): 'colour'"):
        plan.encode({"size": ["1"]})


def test_toggling_a_column_writes_the_smallest_override(tmp_path):
    plan, _, _ = make_plan(["rownames", "a", "y"], [[str(i) for i in range(12)], ["1", "2"] * 6, ["0", "1"] * 6], "t")
    rownames, a = plan.columns[0], plan.columns[1]
    assert toggled(a, [], []) == (["a"], [])  # a feature the rules keep: excluded
    assert toggled(rownames, [], []) == ([], ["rownames"])  # left out by a rule: included
    rownames.role = "feature"  # as after including it
    assert toggled(rownames, [], ["rownames"]) == ([], [])
    a.role = "excluded"
    assert toggled(a, ["a"], []) == ([], [])
