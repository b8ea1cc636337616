"""The product's rules, written once: who may rate, write and delete, what a note's summary
must satisfy, which error answers a refused rating.

The HTTP API (:mod:`bridgewatch.service`), the PostgreSQL fast path of ratings
(:mod:`bridgewatch.service.pg_ratings`, a storage optimisation behind the same rules) and the
web app (:mod:`bridgewatch.web`) call these functions instead of checking the rules again.

Layer: above :mod:`bridgewatch.store`, below service, pipeline and web (CONTRIBUTING.md,
"Architecture"). Errors are :mod:`bridgewatch.errors` exceptions; each surface words or maps
them (HTTP status, form message).
"""
