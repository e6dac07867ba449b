"""Study sets: list, create, edit, fill (search, section, bookmarks, one question), reorder,
notes, sharing by link, copying, studying, export and import.

The views are split by concern; qa.urls imports each module:
- access: the lookups every set view starts with (by id, by shared-link token);
- forms: the set, copy and import forms and the choice of owner (the user or a team they curate);
- pages: the list of sets, creating, editing and deleting one, its page, and what its editors
  do there (reorder, remove, annotate items, share by link);
- filling: adding questions (a section, the bookmarks, search results, one question from its
  page);
- copy_study: copying and studying a set, by id or by shared link, and the shared-link page;
- export_import: exporting a set or a bank, importing a set from a file.
"""
