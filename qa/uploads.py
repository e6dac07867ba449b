"""An upload handler that reads no uploaded file past the site's limit.

Django spools an upload of any size to a temporary file before a view sees it. This handler
stands first: past `MAX_UPLOAD_BYTES` it keeps counting but hands no more of the file on (so at
most the limit is kept, in memory or on disk), and the file then arrives empty with its full
size, which the importer refuses with the limit in its message."""

from __future__ import annotations

from io import BytesIO

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from qa.set_files import MAX_UPLOAD_BYTES


class CappedUploadHandler(FileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > MAX_UPLOAD_BYTES:
            return None  # the handlers after this one get nothing more of this file
        return raw_data

    def file_complete(self, file_size: int) -> InMemoryUploadedFile | None:
        if file_size <= MAX_UPLOAD_BYTES:
            return None  # the next handler's file, with all of its content
        return InMemoryUploadedFile(BytesIO(), self.field_name, self.file_name,
                                    self.content_type, file_size, self.charset,
                                    self.content_type_extra)
