"""Organization email domain resources."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from identra.management.schemas.common import Strict


class DomainIn(Strict):
    domain: Annotated[
        str,
        StringConstraints(min_length=1, max_length=300),
        Field(description="a DNS domain such as `example.com`; unique across the deployment"),
    ]


class DomainOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    domain: str
    verified: bool
    created_at: datetime
    updated_at: datetime
