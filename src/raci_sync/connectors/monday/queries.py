"""The GraphQL texts the monday connector sends (package-private).

Every query is validated against the pinned SDL (API-Version 2026-07) by
tests/connectors/test_monday_contract.py, and every one asks for ``complexity`` so the
connector can meter its budget. Values travel as variables; only constants are inline.
"""

from __future__ import annotations

COMPLEXITY = "complexity { query before after reset_in_x_seconds }"

ME_QUERY = f"""
query Me {{
  {COMPLEXITY}
  me {{ id name email }}
}}
"""

LIST_BOARDS_QUERY = f"""
query ListBoards($limit: Int!, $page: Int!) {{
  {COMPLEXITY}
  boards(limit: $limit, page: $page, state: active) {{ id name type }}
}}
"""

DIRECTORY_QUERY = f"""
query Directory($limit: Int!, $page: Int!) {{
  {COMPLEXITY}
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
# an incremental read then watches for changed subitems.
ITEM_FIELDS = """
fragment ItemFields on Item {
  id name state created_at updated_at url
  group { id title }
  subscribers { id }
  column_values { ...ValueFields }
  subitems {
    id name state created_at updated_at url
    board { id }
    subscribers { id }
    column_values { column { title } ...ValueFields }
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

# The last-updated order that lets an incremental read stop at the first unchanged item.
# "__last_updated__" is a documented sort key (items-page-other-types); ItemsQuery has no
# ``state`` field and items_page no ``state`` argument, so archived and deleted items are not
# listed: they drop out, and only the periodic full read notices that.
NEWEST_FIRST = '{order_by: [{column_id: "__last_updated__", direction: desc}]}'

BOARD_ITEMS_QUERY = (
    f"""
query BoardItems($boardId: ID!, $limit: Int!) {{
  {COMPLEXITY}
  boards(ids: [$boardId]) {{
    id name url
    columns {{ id title type }}
    items_page(limit: $limit) {{
      cursor
      items {{ ...ItemFields }}
    }}
  }}
}}
"""
    + ITEM_FIELDS
    + VALUE_FIELDS
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
)

CHANGED_ITEMS_QUERY = (
    f"""
query ChangedItems($boardId: ID!, $limit: Int!) {{
  {COMPLEXITY}
  boards(ids: [$boardId]) {{
    id name
    columns {{ id title type }}
    items_page(limit: $limit, query_params: {NEWEST_FIRST}) {{
      cursor
      items {{ ...ItemFields }}
    }}
  }}
}}
"""
    + ITEM_FIELDS
    + VALUE_FIELDS
)

# One request for a board and its subitems board: the alias keeps the two lists apart.
CHANGED_WITH_SUBITEMS_QUERY = (
    f"""
query ChangedItemsAndSubitems($boardId: ID!, $subitemsBoardId: ID!, $limit: Int!) {{
  {COMPLEXITY}
  boards(ids: [$boardId]) {{
    id name
    columns {{ id title type }}
    items_page(limit: $limit, query_params: {NEWEST_FIRST}) {{
      cursor
      items {{ ...ItemFields }}
    }}
  }}
  subitems_board: boards(ids: [$subitemsBoardId]) {{
    id
    items_page(limit: $limit, query_params: {NEWEST_FIRST}) {{
      cursor
      items {{ ...SubitemFields }}
    }}
  }}
}}
"""
    + ITEM_FIELDS
    + SUBITEM_FIELDS
    + VALUE_FIELDS
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

QUERIES = {
    "Me": ME_QUERY,
    "ListBoards": LIST_BOARDS_QUERY,
    "Directory": DIRECTORY_QUERY,
    "Users": USERS_QUERY,
    "BoardItems": BOARD_ITEMS_QUERY,
    "NextItems": NEXT_ITEMS_QUERY,
    "ChangedItems": CHANGED_ITEMS_QUERY,
    "ChangedItemsAndSubitems": CHANGED_WITH_SUBITEMS_QUERY,
    "NextSubitems": NEXT_SUBITEMS_QUERY,
}
