"""Configuration files: checked at start key by key, documented key by key, never holding a
secret, and standing for the options of the commands they configure."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from aggregator.cli import configfile
from common.configspec import ConfigError
from guanai.cli import cli
from node import config as node_config
from protos.periods import Period

ROOT = Path(__file__).resolve().parent.parent


def write(folder: Path, text: str, name: str = "guanai.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, named, allowed", [
    ("[budgett]\nrho_annual = 0.1\n", "[budgett]", "[budget]"),
    ("[budget]\nrho_anual = 0.1\n", "budget.rho_anual", "rho_annual"),
    ("[budget]\nrho_annual = 'much'\n", "budget.rho_annual", "a number"),
    ("[budget]\nannual_cap = -1\n", "budget.annual_cap", "≥ 0"),
    ("[submit]\nattempts = 0\n", "submit.attempts", "a whole number ≥ 1"),
    ("[submit]\nattempts = 2.5\n", "submit.attempts", "a whole number"),
    ("[log]\nformat = 'xml'\n", "log.format", "'text', 'json'"),
    ("[catalogue]\nversion = 'v9'\n", "catalogue.version", "known: v1"),
    ("[submit]\nclient_key = 'client.key'\n", "submit.client_cert", "go together"),
    ("budget = 3\n", "budget", "section"),
])
def test_node_configuration_names_the_bad_key_and_what_is_allowed(tmp_path, text, named,
                                                                  allowed):
    with pytest.raises(ConfigError) as caught:
        node_config.load_config(write(tmp_path, text))
    assert named in str(caught.value) and allowed in str(caught.value)


@pytest.mark.parametrize("text, named, allowed", [
    ("[server]\nlisten = 'everywhere'\n", "server.listen", "host:port"),
    ("[server]\nlisten = '0.0.0.0:70000'\n", "server.listen", "host:port"),
    ("[metrics]\nport = 9464\n", "metrics.port", "listen"),
    ("[tls]\ncert = 'server.pem'\n", "tls.cert and tls.key", "go together"),
    ("[tls]\nclient_ca = 'ca.pem'\n", "tls.client_ca", "needs tls.cert"),
    ("[catalogue]\naccept = ['v1', 'v7']\n", "catalogue", "v7"),
    ("[catalogue]\naccept = 'v1'\n", "catalogue.accept", "a list of strings"),
    ("[catalogue]\naccept = ['v1']\naccept_until = { v1 = '2026-07-15' }\n",
     "catalogue.accept_until", "YYYY-MM-DD"),
    ("[catalogue]\naccept = ['v1']\ndirectory = 'nowhere'\n", "catalogue", "nowhere"),
])
def test_aggregator_configuration_names_the_bad_key_and_what_is_allowed(tmp_path, text, named,
                                                                        allowed):
    with pytest.raises(ConfigError) as caught:
        configfile.load_config(write(tmp_path, text))
    assert named in str(caught.value) and allowed in str(caught.value)


def test_a_secret_written_inline_is_refused_without_being_repeated(tmp_path):
    secret = "guanai-x25519-sealing-key c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI="
    for text in (f"[tls]\nkey = '{secret}'\ncert = 'a.pem'\n",
                 "[tls]\ncert = 'a.pem'\nkey = '''-----BEGIN PRIVATE KEY-----\nMC4CAQ=\n'''\n"):
        with pytest.raises(ConfigError) as caught:
            configfile.load_config(write(tmp_path, text))
        message = str(caught.value)
        assert "tls.key" in message and "never the secret itself" in message
        assert "c2VjcmV0" not in message and "MC4CAQ" not in message


def test_paths_are_relative_to_the_configuration_file(tmp_path):
    folder = tmp_path / "etc"
    folder.mkdir()
    config = node_config.load_config(write(folder, "[node]\ndb = 'state/node.db'\n"))
    assert config.checked["node.db"] == folder / "state" / "node.db"
    assert config.budget.rho_half_year == 0.05  # defaults filled in
    assert config.budget.charge_for(Period.parse("2025-H1")) == pytest.approx(0.5)


def test_the_cli_reports_a_bad_file_in_one_line_and_exit_status_2(tmp_path, capsys):
    import sys

    from guanai.cli import main

    path = write(tmp_path, "[budget]\nrho_anual = 0.1\n")
    argv = sys.argv
    sys.argv = ["guanai", "node", "--config", str(path), "receipts"]
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:
        sys.argv = argv
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "budget.rho_anual" in err[0] and "Traceback" not in err[0]


def test_the_file_provides_option_defaults_and_the_command_line_wins(tmp_path):
    folder = tmp_path / "etc"
    folder.mkdir()
    path = write(folder, "[node]\ndb = '../state/school.db'\n[log]\nformat = 'json'\n")
    runner = CliRunner()
    init = ["node", "--config", str(path), "init", "--school-id", "2161010001",
            "--region", "610102", "--name", "测试学校"]
    result = runner.invoke(cli, init)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "state" / "school.db").is_file()
    assert (tmp_path / "state" / "school.db.signing.key").is_file()
    other = tmp_path / "other.db"
    result = runner.invoke(cli, ["node", "--config", str(path), "--db", str(other), "init",
                                 "--school-id", "2161010001", "--region", "610102",
                                 "--name", "测试学校"])
    assert result.exit_code == 0 and other.is_file()

    aggregator = write(folder, "[aggregator]\ndb = '../state/county.db'\n", "county.toml")
    result = runner.invoke(cli, ["aggregator", "--config", str(aggregator), "init", "--level",
                                 "county", "--region", "610102"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "state" / "county.db").is_file()


def test_serve_refuses_a_missing_tls_file_named_by_the_configuration(tmp_path):
    path = write(tmp_path, "[tls]\ncert = 'missing.pem'\nkey = 'missing.key'\n")
    result = CliRunner().invoke(cli, ["aggregator", "serve", "--config", str(path)])
    assert result.exit_code == 2 and "missing.pem" in result.output


def _documented() -> str:
    return (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", [node_config.SPEC, configfile.SPEC], ids=["node", "aggregator"])
def test_every_key_is_documented(spec):
    text = _documented()
    for section, keys in spec.items():
        assert f"[{section}]" in text, section
        for key in keys:
            assert re.search(rf"`{section}\.{key}`", text), f"{section}.{key} is not documented"
