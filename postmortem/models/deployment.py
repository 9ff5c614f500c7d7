"""Immutable artifacts, their deployments, and the links from incidents to deployments."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .enums import DeploymentKind, LinkRole
from .service import Service
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .incident import Incident


class Artifact(Model):
    """One immutable build of a service: a version label naming exactly one reference."""

    __tablename__ = "artifacts"
    __table_args__ = (UniqueConstraint("service_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    service: Mapped[Service] = relationship()


class Deployment(Model):
    """An artifact rolled out to one environment at one time."""

    __tablename__ = "deployments"
    # The same rollout posted twice (a CI retry) is one deployment.
    __table_args__ = (
        UniqueConstraint("service_id", "artifact_id", "environment", "deployed_at"),
        # A service's history per environment, newest first (service pages, last known-good).
        Index("ix_deployments_service_environment_deployed", "service_id", "environment",
              "deployed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id", ondelete="CASCADE"),
                                             index=True)
    environment: Mapped[str] = mapped_column(String(100), index=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The reference this deployment was posted with (None: an out-of-band change).
    artifact_ref: Mapped[str | None] = mapped_column(String(500))
    commit: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[DeploymentKind] = mapped_column(enum_column(DeploymentKind),
                                                 default=DeploymentKind.DEPLOY)
    url: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    service: Mapped[Service] = relationship()
    artifact: Mapped[Artifact] = relationship()
    incident_links: Mapped[list[IncidentDeployment]] = relationship(
        back_populates="deployment", cascade="all, delete-orphan"
    )

    @property
    def version(self) -> str:
        return self.artifact.version

    @hybrid_property
    def immutable(self) -> bool:
        """False for an out-of-band change: no artifact reference, or a manual change (in
        Python, and as a SQL condition)."""
        return bool(self.artifact_ref) and self.kind != DeploymentKind.MANUAL

    @immutable.inplace.expression
    @classmethod
    def _immutable_expression(cls) -> ColumnElement[bool]:
        return and_(cls.artifact_ref.is_not(None), cls.artifact_ref != "",
                    cls.kind != DeploymentKind.MANUAL)


class IncidentDeployment(Model):
    """A deployment involved in an incident, in a role: suspected, culprit or rollback target."""

    __tablename__ = "incident_deployments"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    deployment_id: Mapped[int] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[LinkRole] = mapped_column(enum_column(LinkRole), default=LinkRole.SUSPECTED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="deployment_links")
    deployment: Mapped[Deployment] = relationship(back_populates="incident_links")
