"""Pilot tests of the Data tab: the column list and its keys, a new file's target, refreshes, knobs, images."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, OptionList, Select, Static

from helpers import SIZE, set_field, small_config, wait_for
from helpers import write_mnist_pair
from tui_dl.ui.app import make_app
from tui_dl.ui.widgets.column_list import ColumnList


def write(path: Path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def pets(folder: Path) -> str:
    """An ID, two features, a survived flag and a last column that is not what one means to predict."""
    rows = [f"{i + 1},{i * 0.5},{['red', 'blue', 'NA'][i % 3]},{i % 2},{(i // 2) % 2}" for i in range(30)]
    return write(folder / "pets.csv", ["PassengerId,size,colour,Survived,code", *rows])


def other(folder: Path) -> str:
    return write(folder / "other.csv", ["a,b,price", *(f"{i},{i % 4},{i * 1.5}" for i in range(30))])


def text(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def value(app, name: str) -> str:
    return app.query_one(f"#data-{name}", Input).value


async def open_file(pilot, path: str) -> None:
    app = pilot.app
    app.query_one("#dataset-panel").choose(path)
    await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == Path(path).name)


def headers(app) -> list[str]:
    return [str(c.label) for c in app.query_one("#dataset-rows", DataTable).columns.values()]


async def test_the_column_list_shows_each_role_and_its_keys_set_target_and_exclusions(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await open_file(pilot, pets(tmp_path))
        columns = app.query_one(ColumnList)
        assert columns.display and columns.row_count == 5
        roles = {c.name: c.role for c in columns.plan.columns}
        assert roles == {"PassengerId": "excluded", "size": "feature", "colour": "feature", "Survived": "feature",
                         "code": "target"}
        assert "code (target)" in headers(app)

        assert app.focused is columns  # a new file: its target is chosen next
        columns.move_cursor(row=3)  # Survived
        await pilot.press("t")
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.plan.target.name == "Survived")
        assert value(app, "target") == "Survived" and "Survived (target)" in headers(app)
        assert "target Survived" in text(app, "#dataset-info")
        assert columns.cursor_row == 3  # the cursor stays on its column

        columns.move_cursor(row=2)  # colour: a feature, left out by the user
        await pilot.press("x")
        await wait_for(pilot, lambda: app.shown.raw is not None and "colour" in app.shown.raw.plan.excluded())
        assert value(app, "exclude") == "colour" and app.shown.raw.plan.excluded()["colour"] == "left out by you"
        columns.move_cursor(row=0)  # PassengerId: left out by a rule, put back
        await pilot.press("x")
        await wait_for(pilot, lambda: app.shown.raw is not None and "PassengerId" in [c.name for c in app.shown.raw.plan.features])
        assert value(app, "include") == "PassengerId"
        columns.move_cursor(row=2)
        await pilot.press("x")
        await wait_for(pilot, lambda: app.shown.raw is not None and "colour" not in app.shown.raw.plan.excluded())
        assert value(app, "exclude") == ""

        columns.move_cursor(row=3)  # the target cannot be left out
        await pilot.press("x")
        await wait_for(pilot, lambda: any("target cannot be left out" in str(n.message) for n in app._notifications))
        assert value(app, "exclude") == ""
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "completed")
        assert app.shown.link.session.trainer.data.raw.plan.target.name == "Survived"


async def test_a_new_file_resets_a_target_it_does_not_have(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await open_file(pilot, pets(tmp_path))
        await set_field(pilot, "data-target", "Survived")
        await set_field(pilot, "data-exclude", "colour")
        app.query_one("#data-exclude", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.plan.target.name == "Survived")
        await open_file(pilot, other(tmp_path))
        assert value(app, "target") == "" and value(app, "exclude") == ""
        assert app.shown.raw.plan.target.name == "price" and headers(app)[0] == "price (target)"
        assert not app.query_one(OptionList).highlighted  # no built-in is highlighted while a file is chosen
        assert app.query_one("#dataset-list", OptionList).highlighted is None
        same = write(tmp_path / "same.csv", ["Survived,x", *(f"{i % 2},{i}" for i in range(20))])
        await set_field(pilot, "data-target", "a")
        await open_file(pilot, same)
        assert value(app, "target") == ""  # 'a' is not there either
        await set_field(pilot, "data-target", "Survived")
        await open_file(pilot, pets(tmp_path))
        assert value(app, "target") == "Survived"  # kept: this file has it

        bad = write(tmp_path / "bad.csv", ["x,y", "1,2"])
        app.query_one("#dataset-panel").choose(bad)
        await wait_for(pilot, lambda: app.shown.raw is None and "bad.csv" in text(app, "#dataset-info"))
        assert not app.query_one("#dataset-rows").display  # no rows of the previous file under this name
        assert not app.query_one(ColumnList).display
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.shown.run_state == "failed")


async def test_leaving_an_edited_field_refreshes_the_preview(tmp_path: Path):
    app = make_app(small_config(samples=200), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.samples == 200)
        app.query_one("#data-samples", Input).focus()
        await set_field(pilot, "data-samples", "300")
        await pilot.pause(0.3)
        assert app.shown.raw.samples == 200  # typing alone does not reload
        await pilot.press("tab")
        await wait_for(pilot, lambda: app.shown.raw.samples == 300)
        assert "300 samples" in text(app, "#dataset-info")


async def test_missing_mode_select_reloads(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await open_file(pilot, pets(tmp_path))
        assert app.shown.raw.samples == 30
        app.query_one("#data-missing", Select).value = "drop"
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.samples == 20)
        assert app.shown.raw.plan.missing == "drop"


async def test_each_built_in_set_keeps_its_own_knobs(tmp_path: Path):
    app = make_app(small_config(samples=200), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "spiral")
        option_list = app.query_one("#dataset-list", OptionList)
        names = [option.id for option in option_list.options]
        await set_field(pilot, "data-noise", "0.5")
        await set_field(pilot, "data-samples", "150")
        option_list.focus()
        option_list.highlighted = names.index("circle")
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "circle")
        assert (value(app, "noise"), value(app, "samples")) == ("0.1", "200") and app.shown.raw.samples == 200
        await open_file(pilot, other(tmp_path))
        option_list.highlighted = names.index("spiral")
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "spiral")
        assert (value(app, "noise"), value(app, "samples")) == ("0.5", "150") and app.shown.raw.samples == 150


async def test_image_data_is_previewed_as_a_grid_of_labelled_images(tmp_path: Path):
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        app.query_one("#dataset-panel").choose("digits")
        await wait_for(pilot, lambda: app.shown.raw is not None and app.shown.raw.name == "digits")
        await pilot.pause(0.2)
        grid = app.query_one("#dataset-images")
        assert grid.display and not app.query_one("#dataset-rows").display
        lines = str(grid.render()).splitlines()
        assert lines[0].count("▀") >= 8 * 8 // 2 and len(lines[0]) <= grid.size.width
        labels = lines[4].split()  # 8x8 pixels: 4 rows of half blocks, then the labels
        assert labels[:5] == ["0", "1", "2", "3", "4"]
        image_path, _ = write_mnist_pair(tmp_path)
        await open_file(pilot, str(image_path))
        await pilot.pause(0.2)
        lines = str(grid.render()).splitlines()
        assert lines[0].count("▀") >= 28 and lines[14].split()[:2] == ["0", "1"]


async def test_a_column_put_back_in_one_file_does_not_follow_into_the_next(tmp_path: Path):
    # titanic with R's rownames included, then diamonds: its rownames would leak the row order again
    first = write(tmp_path / "first.csv", ["rownames,size,label", *(f"{i + 1},{i % 5},{i % 2}" for i in range(40))])
    second = write(tmp_path / "second.csv", ["rownames,carat,price", *(f"{i + 1},{i * 0.1},{i * 3.5}" for i in range(40))])
    app = make_app(small_config(), runs_root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.shown.raw is not None)
        await open_file(pilot, first)
        await set_field(pilot, "data-include", "rownames")
        app.query_one("#data-include", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.shown.raw is not None and "rownames" in app.shown.raw.feature_names)
        await open_file(pilot, second)
        assert value(app, "include") == "" and "rownames" not in app.shown.raw.feature_names
        assert "rownames" in app.shown.raw.plan.excluded()
