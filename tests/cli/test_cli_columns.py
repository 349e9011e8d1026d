"""`tui-dl train` on CSV files: --exclude / --include / --missing, TOML, and the `--json` start line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui_dl.engine.training.checkpoint import load_checkpoint


def customers_csv(folder: Path, n: int = 60) -> Path:
    """An ID, a city with a value per row, an age with gaps, a plan, and whether the customer renewed."""
    lines = ["customer_id,city,age,plan,renewed"]
    for i in range(n):
        age = "" if i % 6 == 0 else str(20 + (i * 7) % 50)
        plan = "" if i % 10 == 3 else ("basic", "pro")[i % 2]
        lines.append(f"{1000 + i * 37},town{i},{age},{plan},{'yes' if (i * 7) % 50 > 20 else 'no'}")
    lines[5] = lines[5].rsplit(",", 1)[0] + ","  # a row without a target
    path = folder / "customers.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def start_line(out: str) -> dict:
    first = json.loads(out.splitlines()[0])
    assert first["event"] == "start"
    return first


def test_json_starts_with_what_the_run_uses(cli, tmp_path):
    code, out, err = cli("train", "--dataset", str(customers_csv(tmp_path)), "--epochs", "1", "--json")
    assert code == 0, err
    start = start_line(out)
    assert start["target"] == "renewed" and start["features"] == ["age", "plan"]
    assert start["excluded"] == {"customer_id": "an ID: a different whole number in every row",
                                 "city": "a different text in every row (an ID or a name)"}
    assert start["rows"] == 60 and start["dropped_rows"] == 1
    assert start["imputed"] == {"age": 10, "plan": 6}
    assert start["inputs"] == 5 and start["classes"] == ["no", "yes"] and start["task"] == "classification"
    assert start["train_samples"] + start["val_samples"] + start["test_samples"] == 59
    assert start["run"] and start["model"].startswith("5 -> 16 -> 16 -> 2")
    assert [json.loads(line)["event"] for line in out.splitlines()] == ["start", "epoch", "done"]


def test_exclude_include_and_missing_flags(cli, tmp_path):
    path = customers_csv(tmp_path)
    code, out, err = cli("train", "--dataset", str(path), "--epochs", "1", "--json", "--exclude", "plan",
                         "--include", "customer_id", "--missing", "drop", "--save", str(tmp_path / "c.ckpt"))
    assert code == 0, err
    start = start_line(out)
    assert start["features"] == ["customer_id", "age"] and start["imputed"] == {}
    assert start["excluded"] == {"city": "a different text in every row (an ID or a name)", "plan": "left out by you"}
    assert start["rows"] == 60 and start["dropped_rows"] == 11  # 1 without a target, 10 without an age
    state = load_checkpoint(tmp_path / "c.ckpt")
    assert state["config"]["data"]["exclude"] == ["plan"] and state["config"]["data"]["missing"] == "drop"
    assert state["column_plan"]["missing"] == "drop"


def test_text_output_names_the_columns_left_out(cli, tmp_path):
    code, out, err = cli("train", "--dataset", str(customers_csv(tmp_path)), "--epochs", "1")
    assert code == 0, err
    assert "note: target 'renewed': the last column" in out
    assert "note: left out 'customer_id' (an ID: a different whole number in every row); 'city'" in out
    assert "note: dropped 1 of 60 rows without a target value" in out


def test_column_settings_from_toml(cli, tmp_path):
    path = customers_csv(tmp_path)
    (tmp_path / "run.toml").write_text(f'[data]\ndataset = "{path}"\nexclude = ["age"]\nmissing = "drop"\n'
                                       '[train]\nepochs = 1\n')
    code, out, err = cli("train", "--config", str(tmp_path / "run.toml"), "--json")
    assert code == 0, err
    start = start_line(out)
    assert start["features"] == ["plan"] and start["dropped_rows"] == 7


@pytest.mark.parametrize(("args", "message"), [
    (["--exclude", "Age"], "customers.csv has no column 'Age' to exclude; columns are: customer_id, city, age, plan, renewed"),
    (["--include", "town"], "customers.csv has no column 'town' to include"),
    (["--target", "age", "--exclude", "age"], "the target 'age' cannot be excluded"),
    (["--exclude", "age", "--include", "age"], "column 'age' is both excluded and included"),
    (["--missing", "mean"], "argument --missing: invalid choice: 'mean'"),
    (["--exclude", ","], "expected column names separated by commas"),
])
def test_column_option_errors_are_one_line(cli, tmp_path, args, message):
    code, out, err = cli("train", "--dataset", str(customers_csv(tmp_path)), "--epochs", "1", *args)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"error: {err.strip()[7:]}"] and message in err


def test_toml_exclude_must_be_a_list(cli, tmp_path):
    (tmp_path / "bad.toml").write_text('[data]\nexclude = "age"\n')
    code, _, err = cli("train", "--config", str(tmp_path / "bad.toml"))
    assert code == 2 and "exclude must be a list of column names, got 'age'" in err
