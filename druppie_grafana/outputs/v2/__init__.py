"""Dashboard schema v2 ("dynamic dashboards"): the classic JSON our grafanalib definitions produce,
converted to the v2 spec Grafana 13 loads, saves and exports.

The converter is written from the behaviour Grafana's own conversion test data shows
(grafana/grafana apps/dashboard/pkg/migration/conversion/testdata, input -> output pairs; see
tests/corpus/conversion/MANIFEST.md) and the published v2 types (@grafana/schema 13.2.3
dist/types/schema/dashboard/v2*/types.spec.gen.d.ts). It refuses, with the dashboard, panel and JSON
path, anything those pairs do not show, rather than guessing.

Entry points:
    to_v2beta1_spec(dashboard)  the spec at dashboard.grafana.app/v2beta1 (what the test pairs carry)
    to_v2_spec(dashboard)       the spec at dashboard.grafana.app/v2 (13.x; transformations differ)
    dashboard_object(resource)  the full Kubernetes-style object {apiVersion, kind, metadata, spec}
"""

from .convert import to_v2_spec, to_v2beta1_spec
from .objects import API_VERSION, dashboard_object
from .refusal import ConversionRefused

__all__ = ["API_VERSION", "ConversionRefused", "dashboard_object", "to_v2_spec", "to_v2beta1_spec"]
