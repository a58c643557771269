"""The weekly email (PRODUCT §5): what it says, how it looks, and sending it.

``digest.py`` works out what the email says from the report data; ``message.py`` renders it
(``templates/``) as one MIME message with ``chart.py``'s workload chart inline and the matrix
attached; ``smtp.py`` sends it; ``weekly.py`` sends it once a week per recipient (recorded in
the store). Nothing outside this package needs more than these names.
"""

from raci_sync.reports.email.message import build_email, write_eml
from raci_sync.reports.email.smtp import send
from raci_sync.reports.email.weekly import EmailOutcome, send_weekly

__all__ = ["EmailOutcome", "build_email", "send", "send_weekly", "write_eml"]
