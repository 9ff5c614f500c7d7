"""Post-mortems in and out: the Markdown interchange format, importing it, and the PDFs."""

from .foreign import (
    DOCX,
    MAX_ZIP_BYTES,
    BatchResult,
    Outcome,
    has_front_matter,
    import_batch,
    import_file,
    import_upload,
    kind_of,
    zip_members,
)
from .importer import (
    Imported,
    ImportPreview,
    find_duplicate,
    import_into,
    import_markdown,
    preview_import,
)
from .markdown import DocumentError, export_markdown, parse_document
from .pdf import (
    html_to_pdf,
    incident_html,
    render_digest_pdf,
    render_digest_pdf_apart,
    render_incident_pdf,
    sight_of_text,
)

__all__ = [
    "DOCX", "MAX_ZIP_BYTES", "BatchResult", "Outcome", "has_front_matter", "import_batch", "import_file",
    "import_upload", "kind_of", "zip_members",
    "ImportPreview", "preview_import",
    "Imported", "find_duplicate", "import_into",
    "DocumentError", "export_markdown", "html_to_pdf", "import_markdown", "incident_html",
    "parse_document", "render_digest_pdf", "render_digest_pdf_apart", "sight_of_text", "render_incident_pdf",
]
