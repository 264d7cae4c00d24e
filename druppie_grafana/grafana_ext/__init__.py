"""grafanalib extensions: the panels, targets, variables, layout and JSON form that grafanalib 0.7.1 lacks.

- panels:    traces, nodeGraph, logs, table and timeseries panels in current Grafana JSON
- targets:   Tempo (TraceQL, TraceQL search, TraceQL metrics, service map), Loki and Prometheus queries
- variables: textbox, custom and query variables for Tempo, Loki and Prometheus
- queries:   quoting and naming helpers for TraceQL, LogQL and PromQL text
- layout:    rows on the 24-column grid, with automatic unique panel ids
- dashboard: a grafanalib Dashboard -> the JSON the target Grafana version writes
"""
