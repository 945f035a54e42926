"""Kafka topic names: one per producing domain, plus a dead-letter topic for each, and routing's
notifications between its replicas."""

from enum import StrEnum


class Topic(StrEnum):
    """Topics of DESIGN.md §2. Events of one oficio share its key, so they stay in order."""

    DRAFTING = "signum.drafting"
    SIGNING = "signum.signing"
    ROUTING = "signum.routing"
    STORAGE = "signum.storage"
    DIRECTORY = "signum.directory"

    @property
    def dlq(self) -> str:
        """The dead-letter topic that receives this topic's poison messages."""
        return dlq_topic(self.value)


DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    """Name of the dead-letter topic of `topic`."""
    return f"{topic}{DLQ_SUFFIX}"


INBOX_NOTIFICATIONS = "signum.routing.avisos"
"""Routing's inbox notifications (`signum.contracts.routing.InboxNotification`), shared by its
replicas so a browser's server-sent events hear them on whichever replica holds the stream. Hints,
not events: no envelope, outbox, consumer group or dead-letter topic; kept an hour."""
