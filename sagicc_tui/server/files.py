"""Files that travel in request bodies as their content (base64), written to a
private temporary folder for the store and removed afterwards: a path sent by a
client is never read on the server."""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.ticket_screen import MAX_ATTACHMENT_BYTES
from sagicc_tui.files import safe_file_name


class InboundAttachment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    content_base64: str

    def content(self) -> bytes:
        try:
            return base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(N_("The attachment {name} is not valid base64."), name=self.name) from None


#: Routes whose files travel in the body as content (`files`), and the argument
#: whose paths the server fills in from them.
FILES_FIELD = "files"
FILES_WITH = {"send_message": "message"}


@contextlib.contextmanager
def files_on_disk(files):
    """The uploaded files in a private temporary folder, removed afterwards."""
    if not files:
        yield ()
        return
    folder = Path(tempfile.mkdtemp(prefix="sagicc-files-"))
    try:
        paths = []
        for i, f in enumerate(files):
            data = f.content()
            if len(data) > MAX_ATTACHMENT_BYTES:
                raise InvalidInput(N_("The attachment {name} is over 10 MB; attachments can be at most 10 MB each."),
                                   name=f.name)
            target = folder / str(i)
            target.mkdir()
            target = target / safe_file_name(f.name)
            target.write_bytes(data)
            paths.append(str(target))
        yield tuple(paths)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def with_paths(route_name: str, args: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    name = FILES_WITH[route_name]
    value = args[name]
    if getattr(value, "attachment_paths", ()):
        raise InvalidInput(N_("Files travel with the message itself (files), never as paths on the server."))
    return {**args, name: dataclasses.replace(value, attachment_paths=paths)}
