"""Everything the add-on keeps in /data: the atomic file rule (files) and one module a document."""
