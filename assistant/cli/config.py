"""`treaty config show`: the effective settings, where each layer comes from, secrets masked."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .common import handle_errors, settings

config_app = typer.Typer(no_args_is_help=True, help="Settings: flags > TREATY_* environment > treaty.toml > defaults.")


def _masked(value):
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if type(value).__name__ == "SecretStr":
        return "********" if value.get_secret_value() else ""
    return str(value) if value is not None and not isinstance(value, (bool, int, float, str)) else value


@config_app.command("show")
@handle_errors
def show(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Print the effective settings (secrets masked) and the config file in use."""
    from ..locations import config_file

    s = settings(check_corpus=False)  # shows the corpus folder even when it is wrong, to find why
    data = {name: _masked(dict(getattr(s, name)) if hasattr(getattr(s, name), "model_fields") else getattr(s, name))
            for name in type(s).model_fields}
    path = config_file()
    if as_json:
        typer.echo(json.dumps({"config_file": str(path), "exists": path.exists(), "settings": data}, indent=1))
        return
    typer.echo(f"# config file: {path}" + ("" if path.exists() else " (none)"))
    typer.echo("# precedence: flags > TREATY_* environment (sections with __, e.g. TREATY_OLLAMA__MODEL) > config file > defaults")
    for name, value in data.items():
        if not isinstance(value, dict):
            typer.echo(f"{name} = {json.dumps(value)}")
    for name, value in data.items():
        if isinstance(value, dict):
            typer.echo(f"\n[{name}]")
            for k, v in value.items():
                if v is not None:
                    typer.echo(f"{k} = {json.dumps(v)}")
