"""``raci init``: from tokens in the environment to a drafted, checked ``raci.toml``
(PRODUCT §11, §12).

- ``tools``: asks each tool what its token sees (the connectors' ``discover()``), and the
  choosing by number or by name;
- ``roles``: field names → letters, only where unambiguous; the effort field;
- ``roster``: the people found, merged across tools (the same email is one person; a name-only
  match is marked for a human);
- ``draft`` and ``toml``: the file, rendered with comments, every string escaped;
- ``summary``: what the first report would find.

No module here names a tool: they learn the tools from the Kind records (``KINDS``).
"""
