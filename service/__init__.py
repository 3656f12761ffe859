"""The HTTP service: tag complaints as they arrive, keep them, answer hotspot questions.

    hotline-nlp serve --model demo --api-key-file ~/.hotline-key        # SQLite in $HOTLINE_NLP_HOME/service
    hotline-nlp serve --model demo --no-auth --db postgresql://hotline@db/hotline
    hotline-nlp store import --input 2024H1.xlsx --model demo            # seed the store from an export
    hotline-nlp store export --output backup.csv                         # and back

Endpoints (OpenAPI at /docs): POST /v1/classify, POST /v1/complaints,
GET /v1/complaints/{id}, GET /v1/complaints?since=&until=&category=,
GET /v1/hotspots?period=2024-W20, GET /healthz, GET /readyz; corrections
PATCH /v1/complaints/{id}, GET /v1/review, GET /v1/metrics; the console /ui/.

Layout: ``app`` (create_app, lifespan, run), ``settings``, ``schemas`` (In/Out),
``routers/`` (one per resource; ``ui*`` the console pages), ``deps`` (settings, engine,
model, API key), ``auth`` (named keys and roles, sessions, CSRF), ``ui/`` (templates,
static files, access rules), ``retrain`` (``train --db``),
``errors`` (one JSON error format), ``limits`` (body, batch, text, requests in
flight), ``connections`` (timeouts and the connection cap, fitted to the
descriptor limit), ``logs`` (repeat-suppressed, size-bounded logging), ``model_holder``
(hot swap on promotion), ``store/`` (tables, migrations runner, repository,
records, import/export), ``migrations/`` (Alembic). The real-server test harness
is test code: ``tests/support``.
"""
