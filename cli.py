"""The ``hotline-nlp`` command line: the Typer app and the registration of its
commands.

The commands live in ``commands/``, one module per capability; each parses
options, builds the library's config object, calls the library and prints.
Nothing below ``cli.py`` and ``commands/`` imports them.
"""

from __future__ import annotations

import typer
from hotline_nlp.commands import demo, embedding, hotspots, report, service, tagging

app = typer.Typer(
    name="hotline-nlp",
    help=(
        "Tag 12345 hotline complaints, find hotspots and emerging issues, write bulletins.\n\n"
        "Quick start on the bundled demo corpus:\n\n"
        "  hotline-nlp train --data demo --name demo\n\n"
        "  hotline-nlp classify --model demo --input complaints.csv --output tagged.csv\n\n"
        "Every command has its own --help with examples."
    ),
    no_args_is_help=True,
    # click's plain help, not rich's option table: at 80 columns rich leaves the help
    # text 17-20 cells and cuts what does not fit with "…"; click wraps it in 46.
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
)


app.command("train")(tagging.train)
app.command("classify")(tagging.classify)
app.command("evaluate")(tagging.evaluate)
app.add_typer(tagging.models_app, name="models")
app.add_typer(embedding.embedder_app, name="embedder")
app.add_typer(embedding.cache_app, name="cache")
app.command("embed")(embedding.embed_cmd)
app.command("hotspots")(hotspots.hotspots_cmd)
app.command("report")(report.report_cmd)
app.command("serve")(service.serve)
app.add_typer(service.store_app, name="store")
app.command("demo")(demo.demo)


if __name__ == "__main__":  # pragma: no cover
    app()
