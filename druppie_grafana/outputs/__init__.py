"""Ways out of the same resources: Grafana provisioning files, the HTTP API form, Kubernetes objects."""
