"""The errors of the models package: each message names the file and what is wrong."""

from __future__ import annotations

class ModelFileError(ValueError):
    """A model file that cannot be used; the message names the file and what is wrong."""


class UnknownNameError(KeyError):
    """An unknown model or sampler name; the message lists the valid ones (samplers reuse it)."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0])


UnknownModelError = UnknownNameError
