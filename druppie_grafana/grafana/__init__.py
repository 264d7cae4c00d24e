"""Talking to a Grafana: the client (one session: auth, TLS, retries, limits), one handler per kind,
the plan (desired vs. Grafana's copy), apply (ordered, drift-aware, backed up) and access (permissions).

The rest of the package never talks to Grafana: definitions -> resources -> checks -> outputs stay pure.
"""
