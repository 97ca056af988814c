"""Import files (contract: "Import files"): CSV or XLSX, checked row by row as they stream,
upserted by natural key in one transaction. A file with any bad row writes nothing unless the
caller asks to skip bad rows. Re-importing the same file changes nothing.

One module per group of kinds (parties, services, findings) says how a row is read; the
streaming and the writing are shared."""

from storage.importer.fields import RowProblem
from storage.importer.kinds import KINDS, SPECS
from storage.importer.streaming import ImportResult, RowError, import_directory, import_file
from storage.table_files import FileProblem

__all__ = [
    "KINDS",
    "SPECS",
    "FileProblem",
    "ImportResult",
    "RowError",
    "RowProblem",
    "import_directory",
    "import_file",
]
