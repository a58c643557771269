"""The weekly email (PRODUCT §5): what it says, how it looks, and sending it.

``digest.py`` works out what the email says from the report data; ``message.py`` renders it
(``templates/``) as one MIME message with ``chart.py``'s workload chart inline and the matrix
attached; ``smtp.py`` sends it. Nothing outside this package needs more than these names.
"""

from raci_sync.reports.email.message import build_email, write_eml
from raci_sync.reports.email.smtp import send

__all__ = ["build_email", "send", "write_eml"]
