"""HTML to PDF with weasyprint, without its process-wide side effect on Pillow.

Importing weasyprint sets ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True`` for the whole process, so after the
first PDF (a handout, a radio report) every photo upload would accept a truncated image and pad it with grey.
Our PDFs embed only images we make ourselves (QR codes, icons), which are never truncated, so the flag is put
back to Pillow's default right after the import: on for nobody.
"""

from __future__ import annotations


def weasyprint_html():
    """weasyprint's ``HTML`` class, imported with Pillow's truncated-image flag put back off."""
    from PIL import ImageFile
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return HTML


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    return weasyprint_html()(string=html, base_url=base_url).write_pdf()
