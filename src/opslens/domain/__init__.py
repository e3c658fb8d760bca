"""Pure domain logic: time, calendars, periods and metric formulas, with no I/O and no clock."""
