"""The application layer: the command line (every subcommand) and the catalog report. Nothing imports it."""
