"""signumctl: Signum's command line for developers and operators."""

from __future__ import annotations

import typer

from signum.cli import platform, signing
from signum.cli.audit import audit_app
from signum.cli.directory import directory_app
from signum.cli.stack import stack_app

app = typer.Typer(
    name="signumctl",
    help="Signum's command line.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(stack_app, name="stack")
app.add_typer(directory_app, name="directory")
app.add_typer(audit_app, name="audit")
signing.register(app)
app.command("up")(platform.up)
app.command("down")(platform.down)
app.command("status")(platform.status)


@app.callback()
def main() -> None:
    """Signum's command line."""


if __name__ == "__main__":
    app()
