"""Plant side: sites, lines, machines, shifts and work orders."""
