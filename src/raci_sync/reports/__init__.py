"""The reports layer: everything shown is rendered from one ``model.ReportData``.

Callers name a format through ``render.py``. The renderers are named for what they produce:
``terminal.py``, ``json.py``, ``markdown.py``, ``html.py``, ``spreadsheet.py`` (CSV/XLSX);
``matrix.py`` builds the RACI matrix they render; ``email/`` is the weekly email. Reports import
``model`` (and, for the email, its ``config`` settings) only: nothing here knows which tool a
task came from.
"""
