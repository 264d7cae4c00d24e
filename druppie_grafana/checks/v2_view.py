"""A v2 dashboard seen as the classic JSON the rules read, with each classic JSON path mapped back to the
v2 place it came from: one set of rules for both schemas, not a copy per schema.

The view is the v2 -> classic conversion `import` uses (outputs/v2/to_classic: Grafana's own v2 -> v1
placement of rows, tabs and auto grids), read leniently: a part of the wrong shape is passed by (the
schema rule reports it) and elements no layout shows are still checked, without a place."""

from __future__ import annotations

from ..outputs.v2.to_classic import Reader, to_classic


class V2View:
    """`data`: the classic-shaped dashboard; `where(path)`: a finding's classic path as its v2 path."""

    def __init__(self, spec: dict, base: tuple = ("spec",)):
        self.spec, self.base = spec, base
        self._reader = Reader(base, strict=False)
        self.data = to_classic(spec, self._reader, keep_unplaced=True)

    def where(self, path: str) -> str:
        return self._reader.where(path)
