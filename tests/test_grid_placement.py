"""Grafana's placement of panels it cannot draw where saved (druppie_grafana/grid_placement.py).

Each expected position is worked out by hand from react-grid-layout 1.4.4 lib/utils.js
(correctBounds, compact/compactItem, resolveCompactionCollision) and PanelModel.ts's default gridPos."""

from druppie_grafana.grid_placement import place, place_dashboard, refused_layout, with_defaults


def box(x, y, w, h):
    return {"x": x, "y": y, "w": w, "h": h}


def test_an_overlapping_panel_is_pushed_below_the_one_it_collides_with():
    # B cannot move up (it collides at y=4), so compactItem moves it to A.y + A.h
    assert place([box(0, 0, 12, 8), box(6, 4, 12, 8)]) == [box(0, 0, 12, 8), box(6, 8, 12, 8)]


def test_panels_move_up_until_they_touch_what_is_above_them():
    # C (y 7) and B (y 10) rise while they collide with nothing; both stop right below A
    assert place([box(0, 0, 24, 2), box(0, 10, 12, 4), box(12, 7, 12, 3)]) == [
        box(0, 0, 24, 2), box(0, 2, 12, 4), box(12, 2, 12, 3)]


def test_a_pushed_panel_pushes_the_one_below_it_first():
    # resolveCompactionCollision: B moving from 2 to 4 would hit C, which goes to 4 + B.h first
    assert place([box(0, 0, 24, 4), box(0, 2, 12, 4), box(0, 6, 12, 2)]) == [
        box(0, 0, 24, 4), box(0, 4, 12, 4), box(0, 8, 12, 2)]


def test_a_panel_past_the_last_column_moves_left_and_one_left_of_the_grid_becomes_full_width():
    assert place([box(12, 0, 18, 3)]) == [box(6, 0, 18, 3)]  # x = cols - w
    assert place([box(-2, 0, 6, 3)]) == [box(0, 0, 24, 3)]  # x < 0: x = 0, w = cols
    assert place([box(0, 0, 30, 3)]) == [box(0, 0, 24, 3)]  # wider than the grid: x = -6, then the rule above


def test_same_place_ties_keep_the_saved_order():
    assert place([box(0, 0, 6, 3), box(0, 0, 6, 3)]) == [box(0, 0, 6, 3), box(0, 3, 6, 3)]


def test_a_missing_gridpos_takes_panelmodels_defaults_key_by_key():
    assert with_defaults(None) == box(0, 0, 6, 3)
    assert with_defaults({"w": 12, "h": 8}) == box(0, 0, 12, 8)
    panels, moves = place_dashboard([{"title": "a"}, {"title": "b", "gridPos": {"h": 8, "w": 12}}])
    assert [p["gridPos"] for p in panels] == [box(0, 0, 6, 3), box(0, 3, 12, 8)]
    assert [m.line() for m in moves] == ["$.panels[0] 'a': gridPos None -> {'x': 0, 'y': 0, 'w': 6, 'h': 3}",
                                         "$.panels[1] 'b': gridPos {'h': 8, 'w': 12} -> "
                                         "{'x': 0, 'y': 3, 'w': 12, 'h': 8}"]


def test_a_collapsed_rows_panels_are_placed_below_its_header_as_when_it_is_opened():
    top = {"title": "top", "gridPos": box(0, 0, 24, 5)}
    row = {"type": "row", "title": "r", "collapsed": True, "gridPos": box(0, 5, 24, 1), "panels": [
        {"title": "one", "gridPos": box(0, 20, 12, 8)}, {"title": "two", "gridPos": box(6, 22, 12, 8)}]}
    panels, moves = place_dashboard([top, row])
    assert panels[0]["gridPos"] == box(0, 0, 24, 5) and panels[1]["gridPos"] == box(0, 5, 24, 1)
    # toggleRow shifts the first panel to right below the header (y 6), then the grid compacts: two under one
    assert [p["gridPos"] for p in panels[1]["panels"]] == [box(0, 6, 12, 8), box(6, 14, 12, 8)]
    assert [m.path for m in moves] == ["$.panels[1].panels[0]", "$.panels[1].panels[1]"]
    assert row["panels"][0]["gridPos"] == box(0, 20, 12, 8)  # the input is not changed


def test_a_layout_the_build_accepts_is_not_refused_and_stays_put_when_compact():
    good = [{"gridPos": box(0, 0, 12, 8)}, {"gridPos": box(12, 0, 12, 8)}, {"gridPos": box(0, 8, 24, 4)}]
    assert not refused_layout(good)
    assert place_dashboard(good) == (good, [])
    assert refused_layout([{"gridPos": box(0, 0, 12, 8)}, {"gridPos": box(6, 0, 12, 8)}])
    assert refused_layout([{"gridPos": box(12, 0, 18, 3)}])
    assert refused_layout([{"gridPos": {"w": 6, "h": 3}}])
