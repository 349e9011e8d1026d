"""The CLI in Chinese: `--lang zh` or LANG=zh_CN.UTF-8 give Chinese help, errors and run lines; machine-readable
output stays English."""

from __future__ import annotations

from rich.cells import cell_len

from tests.conftest import cli_env
from tui_dl.cli_format import language_in, wrap_cells


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
    assert "学习率" in out and "显示这条帮助信息并退出" in out and "数据:" in out and "usage" not in out
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
