"""The work-order lifecycle that generated plant data must follow (DESIGN.md §4, seed 003)."""

STATUSES = {"Assigned", "Start", "Hold", "Completed", "Closed"}
NEXT_STATUS = {
    "Assigned": {"Start"},
    "Start": {"Hold", "Completed"},
    "Hold": {"Start"},
    "Completed": {"Closed"},
    "Closed": set(),
}
