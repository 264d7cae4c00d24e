"""Dashboard schema v2 -> classic dashboard JSON, as Grafana's own v2 -> v1 conversion produces it
(apps/dashboard/pkg/migration/conversion: v2_to_v1_layout_conversion.md and its test pairs in
../shared/corpus/grafana13/conversion). The inverse of the modules one folder up, over the same tables
(../mapping.py). Used by `import` (strict: the first malformed part is a V2ShapeError naming its
JSON path) and by the checks' view of v2 files (lenient, and every classic path mapped back to its
v2 place: checks/v2_view.py).

    to_classic(spec, reader=None, metadata=None, keep_unplaced=False)
"""

from .convert import to_classic
from .reader import Reader, V2ShapeError

__all__ = ["Reader", "V2ShapeError", "to_classic"]
