"""The command modules of ``hotline-nlp``, one per capability; ``cli.py`` registers them.

Commands are thin: they parse options, build the library's config object, call
the library and print.
"""
