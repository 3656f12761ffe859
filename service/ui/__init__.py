"""The analyst console (``/ui/``): server-rendered pages of the same FastAPI app.

Jinja2 templates and a few lines of vanilla JavaScript, all inside the package
(no CDN, no build step), and the Noto Sans CJK SC font that ``mplfonts``
ships, served as a web font so Chinese renders on any office PC offline.

``access`` (login, sessions, CSRF), ``render`` (templates, SVG charts),
``alerts`` (the week's alert without making a page wait for it); the routes are
in ``service/routers/ui*.py``.
"""
