"""Files that travel in request bodies as their content (base64): a path sent
by a client is never read on the server, and nothing is written to its disk
but the store's own blobs."""

from __future__ import annotations

import base64
import binascii

from pydantic import BaseModel, ConfigDict, Field

from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import AttachmentContent


class InboundAttachment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    content_base64: str

    def file(self) -> AttachmentContent:
        """The file as the contract takes it; the store checks its size and name."""
        try:
            data = base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(N_("The attachment {name} is not valid base64."), name=self.name) from None
        return AttachmentContent(name=self.name, mime="application/octet-stream", data=data)


def as_files(given: list[InboundAttachment] | None) -> tuple[AttachmentContent, ...]:
    return tuple(f.file() for f in given or ())


#: The contract's argument that travels as a list of InboundAttachment (a
#: message's files, `send_message`); /api/v1 has always called it `files`.
FILES_FIELD = "files"
FILES_MAX = 10
