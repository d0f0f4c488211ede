"""What the network service keeps of an agent: its description (everything else is read
from the hosts, see ``agents``)."""
import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from controller.db.base import Base, utcnow


class NetworkAgent(Base):
    __tablename__ = "network_agents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    description: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
