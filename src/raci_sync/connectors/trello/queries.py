"""What the Trello connector asks for: the parameters of each request, and card paging.

The parameters are checked against Trello's OpenAPI spec (and Atlassian's guides where the spec
has gaps) by tests/connectors/test_trello_contract.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CARD_PAGE_SIZE = 1000  # the API's maximum for /boards/{id}/cards
# The board listing and the activity probe ask for the fields that are read, by name.
# `dateLastActivity` is no item of the spec's BoardFields enum, but the live API accepts it by
# name (PRODUCT §12 "Allowed departures"; research/api-facts.md §6): no `fields=all`, which
# brings every property of every board the user has.
LISTING_PARAMS = {"fields": "name,closed,dateLastActivity"}
CARD_FIELDS = (
    "name",
    "idList",
    "idMembers",
    "idLabels",
    "closed",
    "due",
    "dueComplete",
    "start",
    "dateLastActivity",
    "shortUrl",
    # cards that are not work: templates, and separators, links, board and mirror cards
    # (`start` and `cardRole` are no items of CardFields: PRODUCT §12 "Allowed departures")
    "isTemplate",
    "cardRole",
)
BOARD_PARAMS = {
    "fields": "name,closed",
    "lists": "all",  # closed lists too: archived cards in them still get their group
    "list_fields": "name,closed",
    "members": "all",
    "member_fields": "fullName,username",
    "customFields": "true",
    "labels": "all",
    "label_fields": "name,color",
    "labels_limit": "1000",  # the nested default is 50
}
MEMBER_PARAMS = {"fields": "username,fullName"}  # check(): GET /members/me
_TRELLO_ID = re.compile(r"[0-9a-fA-F]{24}")


def card_params() -> dict[str, str]:
    """The first card page of a board: all cards, open and archived, a full page."""
    return {
        "filter": "all",
        "fields": ",".join(CARD_FIELDS),
        "customFieldItems": "true",
        "limit": str(CARD_PAGE_SIZE),
    }


def is_trello_id(ref: str) -> bool:
    """True for a 24-hex Trello object id (boards given by id are used without a lookup)."""
    return bool(_TRELLO_ID.fullmatch(ref.strip()))


def oldest_first_second(card_ids: Iterable[str]) -> str:
    """The ``before`` for the next card page: an ObjectId one second after the oldest card.

    Trello compares ``before`` at whole seconds, so ``before=<oldest id>`` would skip cards
    created in the same second as the oldest one but not yet returned (trello-archive/api-docs
    #68). Asking for everything up to the end of that second re-reads those few cards instead;
    they are deduplicated by id.
    """
    oldest = min(i.lower() for i in card_ids)
    return f"{int(oldest[:8], 16) + 1:08x}" + "0" * 16
