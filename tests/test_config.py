"""treaty.toml and `treaty config show`: flag > environment > file > default, secrets masked, bad
settings one line."""

from __future__ import annotations

import json

import pytest

from .conftest import run_cli


def show(tmp_path, *args, env=None):
    base = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "TREATY_DATA_DIR": str(tmp_path / "data")}
    r = run_cli(*args, "config", "show", "--json", env={**base, **(env or {})})
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_precedence_is_flag_then_environment_then_file_then_default(tmp_path):
    assert show(tmp_path)["settings"]["ollama"]["model"] == "llama3.2"  # default
    path = tmp_path / "config" / "treaty-assistant" / "treaty.toml"
    path.parent.mkdir(parents=True)
    path.write_text('answer.backend = "ollama"\nollama.model = "from-file"\nopenai.api_key = "sk-very-secret"\n'
                    'data_dir = "/from/file"\n')
    got = show(tmp_path, env={"TREATY_DATA_DIR": ""})
    assert got["config_file"] == str(path) and got["exists"]
    assert got["settings"]["ollama"]["model"] == "from-file" and got["settings"]["answer"]["backend"] == "ollama"
    assert got["settings"]["openai"]["api_key"] == "********"  # masked
    got = show(tmp_path, env={"TREATY_OLLAMA__MODEL": "from-env", "TREATY_BACKEND": "openai"})
    assert got["settings"]["ollama"]["model"] == "from-env" and got["settings"]["answer"]["backend"] == "openai"
    got = show(tmp_path, "--data-dir", str(tmp_path / "flag"), env={"TREATY_DATA_DIR": str(tmp_path / "env")})
    assert got["settings"]["data_dir"] == str(tmp_path / "flag")
    other = tmp_path / "other.toml"
    other.write_text('ollama.model = "from-config-flag"\n')
    assert show(tmp_path, "--config", str(other))["settings"]["ollama"]["model"] == "from-config-flag"
    r = run_cli("config", "show", env={"XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert "sk-very-secret" not in r.stdout and "********" in r.stdout


def test_bad_settings_are_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("answer.bakend = 1\n")
    r = run_cli("--config", str(bad), "config", "show")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "answer.bakend" in r.stderr
    bad.write_text("this is not toml")
    r = run_cli("--config", str(bad), "config", "show")
    assert r.returncode == 2 and "not valid TOML" in r.stderr
    r = run_cli("--config", str(tmp_path / "missing.toml"), "config", "show")
    assert r.returncode == 2 and "does not exist" in r.stderr
    bad.write_text('[retrieval]\ndense = "hnsw"\n')
    r = run_cli("--config", str(bad), "config", "show")
    assert r.returncode == 2 and r.stderr == f"error: bad setting retrieval.dense = 'hnsw' in {bad}: must be 'exact' or 'chroma'\n"


@pytest.mark.parametrize("name, value, message", [
    ("TREATY_RETRIEVAL__TOP_K", "many", "must be an integer"),
    ("TREATY_ANSWER__MAX_SENTENCES", "0", "must be at least 1"),
    ("TREATY_ANSWER__MAX_SENTENCES", "-1", "must be at least 1"),
    ("TREATY_RETRIEVAL__DENSE", "bogus", "must be 'exact' or 'chroma'"),
    ("TREATY_RETRIEVAL__CANDIDATES", "0", "must be at least 1"),
    ("TREATY_FETCH__TIMEOUT", "0", "must be more than 0"),
    ("TREATY_ANSWER__SUPPORT_THRESHOLD", "1.5", "must be at most 1"),
    ("TREATY_INDEX__CHROMA_URL", "localhost:8000", "must be an address such as http://localhost:8000"),
    ("TREATY_ANSWER__BAKEND", "1", "no such setting (`treaty config show` lists them)"),
])
def test_a_bad_setting_in_the_environment_is_one_line_naming_it(tmp_path, name, value, message):
    r = run_cli("config", "show", env={name: value, "XDG_CONFIG_HOME": str(tmp_path)})
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == f"error: bad setting {name}={value}: {message}\n"


def test_config_show_works_whatever_the_corpus_folder(tmp_path):
    got = show(tmp_path, env={"TREATY_CORPUS_DIR": str(tmp_path)})  # holds no registered file
    assert got["settings"]["corpus_dir"] == str(tmp_path)
