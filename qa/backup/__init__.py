"""Backup and restore of everything people have created: the `backup_data` / `restore_data` pair.

What is saved: accounts (with password hashes, groups, verified email addresses), teams,
memberships, invitations, study sets and their items, quizzes, study states, reviews,
bookmarks, notes, error reports, the bank's current content (banks, sections, tags, questions,
so editors' corrections survive) and every question's revision history. Not saved: sessions
(people log in again), the admin's action log, anything a migration creates.

The file is JSON Lines, optionally gzipped (a `.gz` name): a header line
`{"format": "mianshi-backup", "version": 2, "migrations": {app: [applied names]}, ...}`,
then lines `{"table": ..., "columns": [...], "rows": [[...], ...]}` in restore order, a
table's rows split over as many lines as needed so that neither side ever holds a big table in
memory.

Restoring goes into a migrated database, with or without `import_bank` having run: questions,
sections, banks and tags are matched by their keys (slug, section key, question key, tag name)
and updated or created; people's rows keep their ids; references to questions follow the keys,
so it does not matter which ids the bank got. It runs in one transaction and refuses to write
over existing people's data unless told to replace it (`force=True`). A backup made at older
migrations is restored at them, into a database without people's data, and then migrated to
the latest; one made at migrations this version lacks is refused.

The modules: tables (the file's format and version, the people's tables in restore order, the
revision-history models, the models tables are read through), schema (the migrations a backup
records and what a restore migrates), dump (`write_backup`), restore (`read_header`,
`restore_backup` and `delete_people_data`) and restorer (how each table's rows go back in,
matched by keys).
"""
