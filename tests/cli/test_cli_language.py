"""The CLI in Chinese: `--lang zh` or LANG=zh_CN.UTF-8 give Chinese help, errors and run lines; machine-readable
output stays English."""

from __future__ import annotations

from rich.cells import cell_len

from helpers import cli_env
from tui_dl.cli.text import language_in, wrap_cells


def chinese_env() -> dict[str, str]:
    env = cli_env()
    env.pop("LANGUAGE", None)
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    env["LANG"] = "zh_CN.UTF-8"
    return env


def test_lang_zh_gives_chinese_help_of_a_command_that_fits_the_terminal(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _err = cli("--lang", "zh", "train", "--help")
    assert code == 0 and out.startswith("用法：tui-dl train")
    assert "学习率" in out and "显示这条帮助信息并退出" in out and "\n数据：\n" in out and "usage" not in out
    assert max(cell_len(line) for line in out.splitlines()) <= 80, out


def test_the_top_level_help_lists_lang_and_the_commands_in_chinese(cli):
    code, out, _err = cli("--lang=zh", "--help")
    assert code == 0 and "--lang {en,zh}" in out and "无界面训练" in out and "位置参数" in out


def test_english_stays_the_default_and_lang_en_overrides_the_environment(cli, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "zh_CN")
    code, out, _err = cli("--lang", "en", "train", "--help")
    assert code == 0 and out.startswith("usage: tui-dl train") and "learning rate" in out


def test_an_unknown_language_is_a_one_line_usage_error(cli):
    code, _out, err = cli("--lang", "fr", "datasets")
    assert code == 2 and err == "error: argument --lang: invalid choice: 'fr' (choose from 'en', 'zh')\n"


def test_lang_zh_translates_argparse_errors_and_our_own(cli):
    code, _out, err = cli("--lang", "zh", "train", "--epochs", "x")
    assert code == 2 and err == "错误：参数 --epochs：应为整数，得到的是 'x'\n"
    code, _out, err = cli("--lang", "zh", "export")
    assert code == 2 and err.startswith("错误：export 需要指定一次训练") and len(err.splitlines()) == 1


def test_lang_chinese_environment_gives_chinese_help(subprocess_cli):
    done = subprocess_cli("runs", "--help", env=chinese_env())
    assert done.returncode == 0 and done.stdout.startswith("用法：tui-dl runs") and "最新的在前" in done.stdout


def test_lang_is_read_from_argv_before_parsing():
    assert language_in(["--lang", "ZH", "train"]) == "zh" and language_in(["--lang=en"]) == "en"
    assert language_in(["--lang", "fr"]) is None and language_in(["--", "--lang", "zh"]) is None
    assert language_in(["train", "--lang"]) is None


def test_wide_text_wraps_by_cells_and_keeps_words_whole():
    lines = wrap_cells("把 CSV 写到 FILE（默认：标准输出）", 12)
    assert all(cell_len(line) <= 12 for line in lines) and "".join(lines).replace(" ", "") == \
        "把CSV写到FILE（默认：标准输出）"
    assert not any(line.startswith(("，", "：", "）")) for line in wrap_cells("一二三四五六七八九十，二三", 10))


def test_a_chinese_train_run_prints_chinese_lines(cli):
    code, out, err = cli("--lang", "zh", "train", "--dataset", "circle", "--samples", "100", "--epochs", "2",
                         "--device", "cpu")
    assert code == 0, err
    assert "轮次 1/2  训练 " in out and "准确率 " in out and "样本/秒" in out
    assert "训练文件夹：" in out and "已完成：" in out and "个轮次，最佳损失" in out
    assert "2 -> 16 -> 16 -> 2, relu, 354 个参数" in out and "params" not in out  # the model in words


def test_json_keeps_the_model_in_english_in_every_language(cli):
    code, out, err = cli("--lang", "zh", "train", "--dataset", "circle", "--samples", "100", "--epochs", "1",
                         "--device", "cpu", "--json")
    assert code == 0, err
    assert '"model": "2 -> 16 -> 16 -> 2, relu, 354 params"' in out.splitlines()[0]


def test_chinese_errors_for_a_bad_field_and_a_bad_file(cli, tmp_path):
    code, _out, err = cli("--lang", "zh", "train", "--lr", "500", "--batch-size", "0")
    assert code == 2 and err == ("错误：学习率必须 > 0 且不超过 100，得到的是 500.0；"
                                 "批次大小必须是 1 到 16,777,216 之间的整数，得到的是 0\n")
    (tmp_path / "one.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    code, _out, err = cli("--lang", "zh", "train", "--dataset", str(tmp_path / "one.csv"), "--device", "cpu")
    assert code == 2 and err == "错误：one.csv 只有 1 行数据；至少需要 10 行\n"


def write_ids_csv(path) -> None:
    rows = ["id,x,y"] + [f"{i},{i % 7},{i % 2}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_json_output_stays_english_in_a_chinese_session(cli, tmp_path):
    import json

    write_ids_csv(tmp_path / "ids.csv")
    code, out, err = cli("--lang", "zh", "train", "--dataset", str(tmp_path / "ids.csv"), "--epochs", "1",
                         "--device", "cpu", "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["excluded"] == {"id": "an ID: a different whole number in every row"}
    assert any(n.startswith("target 'y': the last column") for n in lines[0]["notices"])
    assert lines[-1]["status"] == "completed"


def test_the_runs_table_shows_chinese_headers_and_states(cli):
    assert cli("train", "--dataset", "circle", "--samples", "100", "--epochs", "1", "--device", "cpu")[0] == 0
    code, out, _err = cli("--lang", "zh", "runs")
    assert code == 0 and "状态" in out and "验证损失" in out and "已完成" in out and "completed" not in out
    code, out, _err = cli("--lang", "zh", "runs", "--json")
    assert code == 0 and '"state": "completed"' in out


def test_every_run_state_has_a_label_in_both_languages():
    from tui_dl import i18n
    from tui_dl.engine.events import RunStatus, status_label

    english = [status.label for status in RunStatus]
    assert english[:3] == ["idle", "starting", "running"] and status_label("early_stopped") == "early stopped"
    i18n.set_language("zh")
    assert status_label("completed") == "已完成" and status_label("from_a_newer_version") == "from a newer version"
    assert all(status.label != english[i] for i, status in enumerate(RunStatus))


def test_runs_table_cells_are_cut_by_terminal_cells():
    from tui_dl.engine.runs.listing import _fit

    assert _fit("训练数据集名称很长", 7) == "训练数…" and cell_len(_fit("训练数据集名称很长", 7)) <= 7
    assert _fit("circle", 7) == "circle"


def test_a_detached_run_started_in_chinese_logs_in_chinese(subprocess_cli, runs_folder):
    import time

    from tui_dl.engine.runs.listing import read_summary

    env = {**chinese_env(), "TUI_DL_RUNS_DIR": str(runs_folder)}
    done = subprocess_cli("train", "--detach", "--dataset", "circle", "--samples", "100", "--epochs", "2",
                          "--device", "cpu", "--run-name", "bg", env=env)
    assert done.returncode == 0 and done.stdout.startswith("bg：正在后台训练"), done.stderr
    deadline = time.monotonic() + 60
    while read_summary(runs_folder / "bg").status != "completed" and time.monotonic() < deadline:
        time.sleep(0.2)
    while "已完成" not in (runs_folder / "bg" / "run.log").read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "已完成" in (runs_folder / "bg" / "run.log").read_text(encoding="utf-8")


def test_lang_is_also_accepted_after_the_command(cli):
    code, _out, err = cli("train", "--lang", "zh", "--epochs", "0")
    assert code == 2 and err.startswith("错误：轮次数必须是 1 到 ") and "--lang" not in err
