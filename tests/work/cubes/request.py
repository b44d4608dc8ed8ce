"""The cube request: what ``POST /api/cubes`` accepts (the web loads it; a Job never does)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CubeRequest(BaseModel):
    """A whole number to cube, and the sign it is cubed with."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(ge=0, le=1000, description="the number to cube")
    sign: Literal["+", "-"] = Field("+", description="cube n (+) or -n (-)")
