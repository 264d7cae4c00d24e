"""Dashboard JSON -> a definition module in dashboards/: `import` and `pull`.

- read:        the forms a dashboard arrives in (bare, UI export, API payload, Kubernetes object)
- grafana:     what Grafana treats as equal on load (legacy rows, datasource names), for reading and comparing
- datasources: references -> our datasource roles, `${DS_X}` placeholders through `__inputs`
- pyrepr:      deterministic, line-wrapped Python literals
- panels, targets, variables: one JSON part -> one Python expression
- emit:        the module text
- roundtrip:   build the module back and name what differs from the original
"""
