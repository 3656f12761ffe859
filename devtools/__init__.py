"""Developer tools that are not part of the installed package (not listed in
pyproject's ``packages``): run them from the repository root, e.g.
``python -m devtools.synth.generate --help``."""
