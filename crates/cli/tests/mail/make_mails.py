"""Writes test mails with Python's own `email` package (an independent writer): a non-ASCII
subject sent as encoded words with a quoted-printable body and a binary attachment; an HTML-only
mail without a Message-ID in ISO-8859-1; a mail forwarding another as message/rfc822."""
import sys
from email.message import EmailMessage
from email import policy
from email.utils import make_msgid

out = sys.argv[1]
pdf = bytes(range(256)) * 40  # every byte value: the attachment must come back unchanged

m = EmailMessage(policy=policy.SMTP)
m["From"] = "Zoë Ortiz <zoe.ortiz@agency.gov>"
m["To"] = "Executive Secretariat <exsec@agency.gov>, 王小明 <wang@agency.gov>"
m["Cc"] = "ogc@agency.gov"
m["Subject"] = "RE: Überprüfung des Haushalts — 予算 review"
m["Date"] = "Fri, 04 Dec 2026 09:30:00 -0500"
m["Message-ID"] = "<budget-review-1@agency.gov>"
m.set_content("Please prepare the budget review by Friday.\nKosten: 12 000 € — überprüfen.\n", charset="utf-8", cte="quoted-printable")
m.add_attachment(pdf, maintype="application", subtype="pdf", filename="Haushalt 2027 — Entwurf.pdf")
open(f"{out}/budget.eml", "wb").write(m.as_bytes())

h = EmailMessage(policy=policy.SMTP)
h["From"] = "ops@agency.gov"
h["To"] = "exsec@agency.gov"
h["Subject"] = "FW: Hurricane préparation"
h["Date"] = "Sat, 05 Dec 2026 14:00:00 +0000"
h.set_content("<html><body><h1>Hurricane préparation</h1><p>Stage <b>generators</b> at the shelters.</p></body></html>", subtype="html", charset="iso-8859-1")
open(f"{out}/hurricane.eml", "wb").write(h.as_bytes())

f = EmailMessage(policy=policy.SMTP)
f["From"] = "Chief of Staff <cos@agency.gov>"
f["To"] = "exsec@agency.gov"
f["Subject"] = "Fwd: Grant oversight"
f["Message-ID"] = make_msgid(domain="agency.gov")
f.set_content("See the forwarded note.\n")
f.add_attachment(h)  # message/rfc822
open(f"{out}/forward.eml", "wb").write(f.as_bytes())
