"""The application layer: the command line and the catalog report. Nothing in the package imports it.

``cli`` (the one argparse parser, every sub-command), ``arguments`` (usage errors, catalog labels),
``latex_cli`` and ``verify_cli`` (the ``latex`` and ``verify`` sub-commands: ``add_parser`` and ``run``),
``spec`` (the verify grammar), ``report`` (running the catalog), ``report_markdown`` (report.md),
``training_report`` and ``accuracy`` (the report's training-loss and accuracy sections).
"""
