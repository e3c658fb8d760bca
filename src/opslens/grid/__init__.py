"""Grid services: the OMS of seeds 000 and 002."""
