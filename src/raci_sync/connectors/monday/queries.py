"""The GraphQL texts the monday connector sends (package-private).

Every query is validated against the pinned SDL (API-Version 2026-10, and the neighbouring
2026-07 and 2026-04) by tests/connectors/test_monday_contract.py, and every one asks for
``complexity`` so the connector can meter its budget. The first query of a read (and ``Me``)
also asks ``version { kind value }``: monday serves a retired version as another one without an
error, so the connector compares what it asked for with what it got. Values travel as
variables; only constants are inline.
"""

from __future__ import annotations

COMPLEXITY = "complexity { query before after reset_in_x_seconds }"
VERSION = "version { kind value }"

# Status columns whose labels say which ones are done: a multi-level board's status rollup
# answers with BatteryValue (label index keys and counts, no is_done), read through these.
STATUS_SETTINGS = "status_columns: columns(types: [status]) { id settings }"

ME_QUERY = f"""
query Me {{
  {COMPLEXITY}
  {VERSION}
  me {{ id name email }}
}}
"""

# Multi-level boards are listed only when asked for before API 2026-04; asking is harmless later.
LIST_BOARDS_QUERY = f"""
query ListBoards($limit: Int!, $page: Int!) {{
  {COMPLEXITY}
  {VERSION}
  boards(limit: $limit, page: $page, state: active, hierarchy_types: [classic, multi_level]) {{
    id name type
  }}
}}
"""

# check-config --online: the configured boards and their columns, without their items.
BOARD_COLUMNS_QUERY = f"""
query BoardColumns($boardIds: [ID!], $limit: Int!) {{
  {COMPLEXITY}
  boards(ids: $boardIds, limit: $limit) {{
    id name type hierarchy_type
    columns {{ id title type }}
  }}
}}
"""

DIRECTORY_QUERY = f"""
query Directory($limit: Int!, $page: Int!) {{
  {COMPLEXITY}
  {VERSION}
  users(limit: $limit, page: $page) {{ id name email }}
  teams {{ id name users {{ id }} }}
}}
"""

USERS_QUERY = f"""
query Users($limit: Int!, $page: Int!) {{
  {COMPLEXITY}
  users(limit: $limit, page: $page) {{ id name email }}
}}
"""

# Subitems live on their own board, whose columns the parent board's ``columns`` do not list,
# so their values carry ``column { title }``; ``board { id }`` names that subitems board, which
# an incremental read then watches for changed subitems. ``rollups`` asks for the calculated
# status values of a multi-level board (empty without ``capabilities: [CALCULATED]``) in a
# list of its own, so the plain ``column_values`` stay what they are on classic boards.
ITEM_FIELDS = """
fragment ItemFields on Item {
  id name state created_at updated_at url
  group { id title }
  subscribers { id }
  column_values { ...ValueFields }
  rollups: column_values(types: [status], capabilities: [CALCULATED]) { ...RollupFields }
  subitems {
    id name state created_at updated_at url
    board { id }
    subscribers { id }
    column_values { column { title } ...ValueFields }
    rollups: column_values(types: [status], capabilities: [CALCULATED]) { ...RollupFields }
  }
}
"""

# A subitem read from its own board: ``parent_item`` ties it to its parent.
SUBITEM_FIELDS = """
fragment SubitemFields on Item {
  id name state created_at updated_at url
  parent_item { id }
  subscribers { id }
  column_values { column { title } ...ValueFields }
}
"""

VALUE_FIELDS = """
fragment ValueFields on ColumnValue {
  id type text value
  ... on PeopleValue { persons_and_teams { id kind } }
  ... on StatusValue { label is_done index }
  ... on DateValue { date time }
  ... on TimelineValue { from to }
  ... on NumbersValue { number }
}
"""

# A multi-level board's status: BatteryValue, whose keys are label indexes (no is_done).
ROLLUP_FIELDS = """
fragment RollupFields on ColumnValue {
  id
  ... on BatteryValue { battery_value { key count } }
}
"""

# The incremental read: items whose last update is on or after a day (monday compares
# ``__last_updated__`` by day, in the token owner's time zone, so the connector sends the day
# before the watermark's and keeps only items updated at or after the watermark). The cursor
# keeps the rule for the following pages. ``compare_attribute`` is a String in the SDL.
UPDATED_SINCE = (
    '{rules: [{column_id: "__last_updated__", compare_value: $since, '
    'operator: greater_than_or_equals, compare_attribute: "UPDATED_AT"}]}'
)

BOARD_ITEMS_QUERY = (
    f"""
query BoardItems($boardId: ID!, $limit: Int!) {{
  {COMPLEXITY}
  {VERSION}
  boards(ids: [$boardId]) {{
    id name url
    columns {{ id title type }}
    {STATUS_SETTINGS}
    items_page(limit: $limit) {{
      cursor
      items {{ ...ItemFields }}
    }}
  }}
}}
"""
    + ITEM_FIELDS
    + VALUE_FIELDS
    + ROLLUP_FIELDS
)

NEXT_ITEMS_QUERY = (
    f"""
query NextItems($cursor: String!, $limit: Int!) {{
  {COMPLEXITY}
  next_items_page(cursor: $cursor, limit: $limit) {{
    cursor
    items {{ ...ItemFields }}
  }}
}}
"""
    + ITEM_FIELDS
    + VALUE_FIELDS
    + ROLLUP_FIELDS
)

CHANGED_ITEMS_QUERY = (
    f"""
query ChangedItems($boardId: ID!, $limit: Int!, $since: CompareValue!) {{
  {COMPLEXITY}
  {VERSION}
  boards(ids: [$boardId]) {{
    id name
    columns {{ id title type }}
    {STATUS_SETTINGS}
    items_page(limit: $limit, query_params: {UPDATED_SINCE}) {{
      cursor
      items {{ ...ItemFields }}
    }}
  }}
}}
"""
    + ITEM_FIELDS
    + VALUE_FIELDS
    + ROLLUP_FIELDS
)

# One request for a board and its subitems board: the alias keeps the two lists apart.
CHANGED_WITH_SUBITEMS_QUERY = (
    f"""
query ChangedItemsAndSubitems(
  $boardId: ID!, $subitemsBoardId: ID!, $limit: Int!, $since: CompareValue!
) {{
  {COMPLEXITY}
  {VERSION}
  boards(ids: [$boardId]) {{
    id name
    columns {{ id title type }}
    {STATUS_SETTINGS}
    items_page(limit: $limit, query_params: {UPDATED_SINCE}) {{
      cursor
      items {{ ...ItemFields }}
    }}
  }}
  subitems_board: boards(ids: [$subitemsBoardId]) {{
    id
    items_page(limit: $limit, query_params: {UPDATED_SINCE}) {{
      cursor
      items {{ ...SubitemFields }}
    }}
  }}
}}
"""
    + ITEM_FIELDS
    + SUBITEM_FIELDS
    + VALUE_FIELDS
    + ROLLUP_FIELDS
)

NEXT_SUBITEMS_QUERY = (
    f"""
query NextSubitems($cursor: String!, $limit: Int!) {{
  {COMPLEXITY}
  next_items_page(cursor: $cursor, limit: $limit) {{
    cursor
    items {{ ...SubitemFields }}
  }}
}}
"""
    + SUBITEM_FIELDS
    + VALUE_FIELDS
)

# raci fix: one item or subitem read again (its board names the board a write goes to, and
# that board's status settings say which labels mean done), and one write of people columns,
# whose answer is the item after the write: read back in the same request.
ONE_ITEM_FIELDS = f"""
fragment OneItemFields on Item {{
  id name state created_at updated_at url
  group {{ id title }}
  board {{ id {STATUS_SETTINGS} }}
  parent_item {{ id }}
  subscribers {{ id }}
  column_values {{ column {{ title }} ...ValueFields }}
  rollups: column_values(types: [status], capabilities: [CALCULATED]) {{ ...RollupFields }}
}}
"""

READ_ITEM_QUERY = (
    f"""
query ReadItem($itemIds: [ID!]) {{
  {COMPLEXITY}
  items(ids: $itemIds) {{ ...OneItemFields }}
}}
"""
    + ONE_ITEM_FIELDS
    + VALUE_FIELDS
    + ROLLUP_FIELDS
)

# ``values`` is the JSON text of ``{column id: value}``: a people column takes
# ``{"personsAndTeams": [{"id": <user id>, "kind": "person"}]}``, or null to empty it.
SET_PEOPLE_MUTATION = (
    f"""
mutation SetPeople($boardId: ID!, $itemId: ID!, $values: JSON!) {{
  {COMPLEXITY}
  change_multiple_column_values(board_id: $boardId, item_id: $itemId, column_values: $values) {{
    ...OneItemFields
  }}
}}
"""
    + ONE_ITEM_FIELDS
    + VALUE_FIELDS
    + ROLLUP_FIELDS
)

QUERIES = {
    "Me": ME_QUERY,
    "ListBoards": LIST_BOARDS_QUERY,
    "BoardColumns": BOARD_COLUMNS_QUERY,
    "Directory": DIRECTORY_QUERY,
    "Users": USERS_QUERY,
    "BoardItems": BOARD_ITEMS_QUERY,
    "NextItems": NEXT_ITEMS_QUERY,
    "ChangedItems": CHANGED_ITEMS_QUERY,
    "ChangedItemsAndSubitems": CHANGED_WITH_SUBITEMS_QUERY,
    "NextSubitems": NEXT_SUBITEMS_QUERY,
}

# raci fix's requests, apart from QUERIES (what a read sends); validated against the same SDL
WRITES = {"ReadItem": READ_ITEM_QUERY, "SetPeople": SET_PEOPLE_MUTATION}

# The items pages: a page too heavy for monday is asked again with half the limit.
ITEM_PAGES = frozenset(
    {"BoardItems", "NextItems", "ChangedItems", "ChangedItemsAndSubitems", "NextSubitems"}
)
