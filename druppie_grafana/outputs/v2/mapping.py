"""What a classic dashboard key is called in schema v2, written once for both directions
(convert.py and friends: classic -> v2; to_classic/: v2 -> classic).

Sources: Grafana's conversion test pairs (tests/corpus/conversion, ../shared/corpus/grafana13/conversion)
and the v2 kinds (apps/dashboard/kinds/v2/dashboard_spec.cue in ../shared/corpus/grafana13/schemas)."""

from __future__ import annotations

SCHEMA_VERSION = 42  # what Grafana migrates a classic dashboard to before it converts it (pairs: *.v42)
COLUMNS = 24  # the classic grid's width
ROW_HEIGHT = 1  # a row panel's height; a row's panels start one line below it
ROW = "row"  # the classic panel type of a row
MIXED_UID = "-- Mixed --"  # the classic panel datasource of a panel whose queries use several

CURSOR_SYNC = ["Off", "Crosshair", "Tooltip"]  # graphTooltip 0, 1, 2
# timeSettings.autoRefreshIntervals when the classic timepicker names none (every pair)
DEFAULT_REFRESH_INTERVALS = ["5s", "10s", "30s", "1m", "5m", "15m", "30m", "1h", "2h", "1d"]

# Dashboard keys spelled alike in both schemas.
SAME_DASHBOARD_KEYS = ("title", "description", "tags", "editable", "liveNow", "preload", "revision", "links")
# (where in classic, key of timeSettings): the classic places v2 gathers into timeSettings.
TIME_SETTINGS = ((("timezone",), "timezone"), (("time", "from"), "from"), (("time", "to"), "to"),
                 (("refresh",), "autoRefresh"), (("timepicker", "refresh_intervals"), "autoRefreshIntervals"),
                 (("timepicker", "quick_ranges"), "quickRanges"), (("timepicker", "hidden"), "hideTimepicker"),
                 (("weekStart",), "weekStart"), (("fiscalYearStartMonth",), "fiscalYearStartMonth"),
                 (("timepicker", "nowDelay"), "nowDelay"))

# Classic panel keys whose value moves to QueryGroupSpec.queryOptions (pair: join-by-labels, maxDataPoints).
QUERY_OPTIONS = ("maxDataPoints", "interval", "timeFrom", "timeShift", "hideTimeOverride", "cacheTimeout",
                 "queryCachingTTL")
# Panel keys spelled alike on the classic panel and the v2 PanelSpec.
SAME_PANEL_KEYS = ("id", "title", "description", "links", "transparent")
# Classic target keys v2 carries beside the query spec (PanelQuerySpec.refId/hidden) or in the DataQuery.
TARGET_ENVELOPE = ("datasource", "refId", "hide")

# Enumerations of the v2 variable kinds in the order the classic numbers count them
# (VariableHide, VariableRefresh, VariableSort in dashboard_spec.cue).
HIDE = ["dontHide", "hideLabel", "hideVariable", "inControlsMenu"]
REFRESH = ["never", "onDashboardLoad", "onTimeRangeChanged"]
SORT = ["disabled", "alphabeticalAsc", "alphabeticalDesc", "numericalAsc", "numericalDesc",
        "alphabeticalCaseInsensitiveAsc", "alphabeticalCaseInsensitiveDesc", "naturalAsc", "naturalDesc"]
# classic templating type -> v2 variable kind (dashboard_spec.cue VariableKind)
VARIABLE_KINDS = {"query": "QueryVariable", "custom": "CustomVariable", "textbox": "TextVariable",
                  "constant": "ConstantVariable", "datasource": "DatasourceVariable", "interval": "IntervalVariable",
                  "adhoc": "AdhocVariable", "groupby": "GroupByVariable", "switch": "SwitchVariable"}
# Variable kinds whose datasource sits on the kind (group + datasource.name), not in a DataQuery spec.
KIND_DATASOURCE_VARIABLES = ("AdhocVariable", "GroupByVariable")

# AutoGridLayout: row heights of rowHeightMode in grid lines, and the classic grid's cell size in px for
# a custom rowHeight (Grafana's v2 -> v1 conversion requirements: short 5, standard 9, tall 14,
# custom ceil(px / (GRID_CELL_HEIGHT 30 + GRID_CELL_VMARGIN 8))).
AUTO_GRID_HEIGHTS = {"short": 5, "standard": 9, "tall": 14}
AUTO_GRID_CELL_PX = 30 + 8
AUTO_GRID_COLUMNS = 3  # maxColumnCount when the layout names none


def element_name(panel_id: int) -> str:
    """v2 names a panel's element after the classic id."""
    return f"panel-{panel_id}"
