"""Import question banks from fixture files (fixtures/banks/*.yaml, *.yml or *.json).

Two phases, so that a bad file never half-lands in the database:

1. `load_bank_files(paths)` parses and validates every file completely (`parsing`,
   `validation`). Every problem is collected (file, entry, what is wrong) and raised together
   as `BankFileError`.
2. `import_banks(files, ...)` plans the upsert against the database (`importing`) and, unless
   `dry_run`, applies it (`writing`, through `qa.rows`). The caller runs it inside one
   transaction for the whole run.

Questions are matched by their stable key. `Question.import_hash` holds the hash of what the
importer last wrote (section, number, prompt, answer, tags, status). When the database still
hashes to it, nobody has touched the question since the import and the file may update it;
when it does not, an editor has changed it: the import leaves it alone and reports it (unless
forced, which still records a revision). Questions that vanished from the file are reported,
never deleted.
"""

from __future__ import annotations

from qa.importer.files import (
    BANKS_DIR,
    EXTENSIONS,
    FORMAT_VERSION,
    BankFile,
    BankFileError,
    QuestionData,
    SectionData,
    content_hash,
    default_paths,
    display_path,
)
from qa.importer.importing import FileReport, import_banks
from qa.importer.validation import load_bank_file, load_bank_files

__all__ = [
    "BANKS_DIR",
    "EXTENSIONS",
    "FORMAT_VERSION",
    "BankFile",
    "BankFileError",
    "FileReport",
    "QuestionData",
    "SectionData",
    "content_hash",
    "default_paths",
    "display_path",
    "import_banks",
    "load_bank_file",
    "load_bank_files",
]
